import { format } from 'node:util';
import { vi } from 'vitest';
import { main } from '../../shared/apps/cli/main.ts';

/** Runs `trail …` in-process: its exit code and what it printed (console.log/error and direct writes alike). */
export async function runTrail(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  // The commands print with console.log and console.error, which vitest takes over: capture both ways.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  vi.spyOn(console, 'log').mockImplementation((...args) => out.push(`${format(...args)}\n`));
  vi.spyOn(console, 'error').mockImplementation((...args) => err.push(`${format(...args)}\n`));
  try {
    return { code: await main(argv), out: out.join(''), err: err.join('') };
  } finally {
    vi.restoreAllMocks();
  }
}
