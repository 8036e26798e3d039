import { type App, Tags } from 'aws-cdk-lib';
import { parseConfig } from './config.ts';
import { StatefulStack } from './stacks/stateful-stack.ts';
import { StatelessStack } from './stacks/stateless-stack.ts';

/**
 * Declares the trail in an app: its settings come from the app's context (cdk.json, `-c key=value`).
 * The stacks are environment-agnostic: `cdk deploy` targets the account and region of the caller's credentials.
 */
export function declareFleetAuditTrail(app: App) {
  const config = parseConfig((key) => app.node.tryGetContext(key));
  const prefix = `FleetAudit-${config.envName}`;
  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    config,
    description: 'Fleet audit trail: network, event database, archive and its query layer',
    terminationProtection: true,
  });
  const stateless = new StatelessStack(app, `${prefix}-Stateless`, {
    config,
    stateful,
    description: 'Fleet audit trail: ingest, queue, writer, migrations, alarms and dashboard',
  });
  Tags.of(app).add('app', 'fleet-audit-trail');
  Tags.of(app).add('env', config.envName);
  return { config, stateful, stateless };
}
