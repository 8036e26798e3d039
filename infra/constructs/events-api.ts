import { Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_ACCESS_LOG_FORMAT } from '../../shared/core/contracts/api-access-log.ts';

export const API_THROTTLE = { rateLimit: 200, burstLimit: 400 };

export interface EventsApiProps {
  /** Names the API `fleet-audit-<envName>`: each environment's is told apart in the console. */
  envName: string;
  authorizer: apigw.IHttpRouteAuthorizer;
  /** Browser origins allowed to call the API (the web UI's); none: no CORS, same-origin or non-browser clients only. */
  corsOrigins?: string[];
}

/**
 * The HTTP API: every route behind the JWT authorizer, throttled, with JSON access logs (API_ACCESS_LOG_FORMAT) that
 * the interaction log turns into audit.api.request events.
 */
export class EventsApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  /** One line per request, refusals by the authorizer and the throttle included. */
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EventsApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `fleet-audit-${props.envName}`,
      description: 'Fleet audit trail',
      defaultAuthorizer: props.authorizer,
      createDefaultStage: false,
      // API Gateway answers the preflight itself (no OPTIONS route, so no authorizer in the way) and adds the headers.
      corsPreflight: props.corsOrigins && {
        allowOrigins: props.corsOrigins,
        allowMethods: [apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST, apigw.CorsHttpMethod.DELETE],
        allowHeaders: ['authorization', 'content-type'],
        // The UI names exported files after the API's attachment filename.
        exposeHeaders: ['content-disposition'],
        maxAge: Duration.hours(1),
      },
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(API_ACCESS_LOG_FORMAT)),
      },
    });
  }

  /** Routes `method path` to a function. */
  addRoute(method: apigw.HttpMethod, path: string, fn: lambda.IFunction): void {
    const id = `${method}${path}`.replace(/[^A-Za-z0-9]/g, '');
    this.api.addRoutes({ path, methods: [method], integration: new integrations.HttpLambdaIntegration(id, fn) });
  }
}
