#!/usr/bin/env node
// The `trail` command: registers the TypeScript loader, then runs the CLI from source.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../shared/apps/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
