#!/usr/bin/env node
// The `trail` command: registers the TypeScript loader, then runs the CLI from source.
import { register } from 'tsx/esm/api';

register();
// The AWS SDK would warn on every command that its Node 20 support ends (README, "The trail command");
// AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=false shows it again.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../shared/apps/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Everything the command started is stopped by now, but a library may leave a handle behind (after a failed
// `trail start`, a MessagePort kept the process alive): give output a moment to flush, then exit regardless.
setTimeout(() => process.exit(code), 1000).unref();
