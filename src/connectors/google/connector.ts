// What Drive and Gmail connectors share: a fresh authenticated client per call (credentials come
// from ctx.config), ping through the API's cheapest call, and listing handed to the connector's
// lister. A subclass declares its schemas, scopes, client and calls.
import type { ZodType } from 'zod';
import type { Connector, ConnectorContext, DataResult, DocMetadata, MetadataPage } from '../../core/contract.js';
import { FIXED_SCHEDULE, openGoogleApi, type GoogleApi, type GoogleApiConfig, type GoogleClientOptions } from './api.js';

/** The cheapest authenticated call, named for error messages: proves credentials and reachability. */
export interface PingCall<Client> {
  operation: string;
  call(api: GoogleApi<Client>): Promise<unknown>;
}

export abstract class GoogleConnector<Config extends GoogleApiConfig, M, Client> implements Connector<Config, M> {
  abstract readonly name: string;
  abstract readonly configSchema: ZodType<Config>;
  abstract readonly milestoneSchema: ZodType<M>;
  protected abstract readonly scopes: string[];
  protected abstract createClient(options: GoogleClientOptions): Client;
  protected abstract readonly pingCall: PingCall<Client>;
  protected abstract list(ctx: ConnectorContext<Config>, api: GoogleApi<Client>, milestone: M): Promise<MetadataPage>;
  protected abstract fetch(ctx: ConnectorContext<Config>, api: GoogleApi<Client>, doc: DocMetadata): Promise<DataResult>;

  async ping(ctx: ConnectorContext<Config>): Promise<void> {
    const api = this.open(ctx);
    await api.session.run(this.pingCall.operation, () => this.pingCall.call(api), { schedule: FIXED_SCHEDULE });
  }

  retrieveMetadata(ctx: ConnectorContext<Config>, milestone: M): Promise<MetadataPage> {
    return this.list(ctx, this.open(ctx), milestone);
  }

  retrieveData(ctx: ConnectorContext<Config>, doc: DocMetadata): Promise<DataResult> {
    return this.fetch(ctx, this.open(ctx), doc);
  }

  protected open(ctx: ConnectorContext<Config>): GoogleApi<Client> {
    return openGoogleApi(ctx, this.name, this.scopes, (options) => this.createClient(options));
  }
}
