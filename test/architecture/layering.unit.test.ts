import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..', '..');
const FIXTURE = resolve(REPO, 'test', 'fixtures', 'layering');
const DEPCRUISE = resolve(REPO, 'node_modules', '.bin', 'depcruise');

/** depcruise with the project's rules, in `cwd`, as `npm run lint` runs it; resolves to its exit code and report. */
async function cruise(cwd: string, paths: string[]): Promise<{ code: number; report: string }> {
  const args = [...paths, '--config', resolve(REPO, '.dependency-cruiser.cjs'), '--output-type', 'err'];
  try {
    const { stdout } = await promisify(execFile)(DEPCRUISE, args, { cwd });
    return { code: 0, report: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, report: failed.stdout };
  }
}

describe('import rules (npm run lint)', () => {
  it('fail on wrong-way imports: core reaching out to Node I/O, packages, adapters or apps; adapters to apps', async () => {
    const { code, report } = await cruise(FIXTURE, ['shared']);
    expect(code).not.toBe(0);
    const violations = report
      .split('\n')
      .filter((line) => line.includes('error '))
      .map((line) => line.trim().replace(/^error /, ''))
      .sort();
    expect(violations).toEqual(
      [
        'core-has-no-io-packages: shared/core/domain/wrong-way.ts → ../../../node_modules/pg/esm/index.mjs',
        'core-has-no-node-io: shared/core/domain/wrong-way.ts → fs',
        'core-imports-core-only: shared/core/domain/wrong-way.ts → shared/adapters/postgres/store.ts',
        'core-imports-core-only: shared/core/domain/wrong-way.ts → shared/apps/compose.ts',
        'adapters-do-not-compose: shared/adapters/postgres/store.ts → shared/apps/compose.ts',
      ].sort(),
    );
  });

  it('pass on the project itself', async () => {
    const { code, report } = await cruise(REPO, ['shared', 'functions', 'infra', 'bench', 'chaos', 'test']);
    expect(report).toContain('no dependency violations found');
    expect(code).toBe(0);
  }, 60_000);
});
