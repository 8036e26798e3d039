// `npm run bench -- [options]`: the benchmark's own entry point, apart from the product's `trail` command.
import './quiet-env.ts';
import { runBench } from './run.ts';

process.exitCode = await runBench(process.argv.slice(2));
