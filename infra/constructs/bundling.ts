import path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The newest Node.js runtime aws-cdk-lib offers; the bundle targets the same version. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** esbuild's `target` for a Node.js runtime: `nodejs24.x` → `node24`. */
export function bundleTarget(runtime: lambda.Runtime): string {
  const major = /^nodejs(\d+)\.x$/.exec(runtime.name)?.[1];
  if (!major) throw new Error(`${runtime.name} is not a versioned Node.js runtime`);
  return `node${major}`;
}

/**
 * Packages esbuild cannot bundle (a native `.node` binding): left as bare imports in the bundle and copied, as
 * installed, into the asset's `node_modules`. Node resolves a bare import from `/var/task/index.mjs` by walking up to
 * `/var/task/node_modules`, so the copies are found without a layer or NODE_PATH (which ESM ignores anyway).
 */
export interface NativePackages {
  /** esbuild `external` patterns, e.g. `@duckdb/*`. */
  external: string[];
  /** Package folders under `node_modules` to copy, e.g. `@duckdb/node-api`. */
  copy: string[];
}

/**
 * The packages the Lambda Node.js runtime is documented to provide, which a bundle may therefore leave as bare
 * imports: none. AWS documents only that every supported Node.js runtime includes "a specific minor version of the AWS
 * SDK for JavaScript v3, not the latest version", one that "depends on the runtime version and your AWS Region"
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included). It lists no packages, so
 * nothing promises @aws-sdk/rds-signer or @aws-sdk/lib-storage, nor a client as new as the one we compile against.
 * The handler guide "strongly recommend[s] that you include the AWS SDK clients that you need in your deployment
 * package" (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html#nodejs-example-sdk-usage).
 *
 * So every @aws-sdk package we import is bundled: what runs is the locked, tested version, whatever the runtime ships.
 * That adds 290-450 KB of minified code per function (0.26-0.75 MB → 0.55-1.2 MB; the unzipped limit is 250 MB).
 * Loading those bundles locally took no measurably longer than loading the old ones plus the SDK from node_modules:
 * a runtime-provided SDK is read from disk too, and AWS notes bundling saves I/O
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-package.html#nodejs-package-searchpath). The guarantee wins.
 * Add a package here only with a page that lists it as included: test/infra/bundles.unit.test.ts loads every bundle
 * with only these packages resolvable.
 */
export const RUNTIME_PROVIDED_PACKAGES: readonly string[] = [];

/** The esbuild `external` patterns of a function: what the runtime provides, and its native packages. */
export function externalModules(native?: NativePackages): string[] {
  return [...RUNTIME_PROVIDED_PACKAGES, ...(native?.external ?? [])];
}

/** How every function is bundled (locally, by esbuild): an ES module for FUNCTION_RUNTIME, minified, with source maps. */
export function bundlingOptions(native?: NativePackages): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: bundleTarget(FUNCTION_RUNTIME),
    // Prefer ESM builds of dependencies; fall back to CommonJS ones.
    mainFields: ['module', 'main'],
    // CommonJS dependencies (pg, …) call require(), which an ES module lacks: give them one.
    banner:
      "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);",
    externalModules: externalModules(native),
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    ...(native && {
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir: string, outputDir: string) =>
          native.copy.flatMap((pkg) => [
            `mkdir -p "${path.posix.join(outputDir, 'node_modules', path.posix.dirname(pkg))}"`,
            `cp -r "${path.posix.join(inputDir, 'node_modules', pkg)}" "${path.posix.join(outputDir, 'node_modules', pkg)}"`,
          ]),
      },
    }),
  };
}
