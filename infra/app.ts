import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { declareFleetAuditTrail } from './fleet-audit-app.ts';

const app = new App();
declareFleetAuditTrail(app);
// Every synth checks the AWS Solutions rules; a finding without a suppression fails it.
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
app.synth();
