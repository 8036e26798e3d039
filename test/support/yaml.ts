import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * A YAML parser for tests: the `yaml` package aws-cdk-lib bundles (no YAML parser is a dependency of the project).
 * Loaded by path: aws-cdk-lib's exports do not name it.
 */
const require = createRequire(import.meta.url);
const yaml = require(join(import.meta.dirname, '..', '..', 'node_modules', 'aws-cdk-lib', 'node_modules', 'yaml')) as {
  parse(text: string): unknown;
};

export function parseYaml(text: string): unknown {
  return yaml.parse(text);
}
