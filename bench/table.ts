// Benchmark figures: one row per measured value with its target, printed as one table and
// written to bench/results.json. Targets never fail the process: the table says PASS/FAIL.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import Table from 'cli-table3';

export interface Target {
  op: '>=' | '<=';
  value: number;
}

export interface FigureRow {
  figure: string;
  metric: string;
  value: number;
  unit: string;
  target?: Target;
  /** What was compared or how it was measured, for the reader. */
  detail?: string;
}

export function verdict(row: FigureRow): 'PASS' | 'FAIL' | '' {
  if (!row.target) return '';
  const ok = row.target.op === '>=' ? row.value >= row.target.value : row.value <= row.target.value;
  return ok ? 'PASS' : 'FAIL';
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toFixed(4);
}

export function printTable(rows: FigureRow[]): void {
  const table = new Table({
    head: ['figure', 'metric', 'value', 'target', 'result', 'detail'],
    wordWrap: true,
    colWidths: [12, 34, 14, 12, 8, 48],
  });
  for (const row of rows) {
    table.push([
      row.figure,
      row.metric,
      `${formatNumber(row.value)} ${row.unit}`.trim(),
      row.target ? `${row.target.op} ${formatNumber(row.target.value)}` : '',
      verdict(row),
      row.detail ?? '',
    ]);
  }
  console.log(table.toString());
}

export function writeResults(file: string, rows: FigureRow[], meta: { quick: boolean; seconds: number; errors: string[] }): void {
  const machine = { cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadavg: os.loadavg() };
  const results = rows.map((row) => ({ ...row, result: verdict(row) || undefined }));
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), ...meta, machine, results }, null, 2)}\n`);
}
