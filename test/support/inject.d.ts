// Types for the values test/global-setup.ts hands to every test file via `inject(...)`.
export {}; // a module, so the block below augments vitest instead of replacing it

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the shared Postgres; make your own database with createDatabase(). */
    databaseUrl: string;
    /** gRPC address of the shared Temporal dev server, `127.0.0.1:<port>`. */
    temporalAddress: string;
    /** Namespace on that server with the Docsync search attributes registered. */
    temporalNamespace: string;
  }
}
