import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ROLES } from '../../shared/core/access/principal.ts';

export interface IdentityProps {
  /** An existing identity provider; when unset, a Cognito user pool is created. */
  jwt?: { issuer: string; audience: string };
}

/** Who may call the HTTP API: a JWT authorizer over the organisation's issuer, or over a user pool made here. */
export class Identity extends Construct {
  readonly authorizer: apigw.IHttpRouteAuthorizer;
  readonly userPool?: cognito.UserPool;
  readonly userPoolClient?: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    if (props.jwt) {
      this.authorizer = new authorizers.HttpJwtAuthorizer('Jwt', props.jwt.issuer, {
        jwtAudience: [props.jwt.audience],
      });
      return;
    }
    const userPool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The trail's roles, a Cognito group each, carried in the token's `cognito:groups` claim.
    for (const role of ROLES) userPool.addGroup(role, { groupName: role, description: `Audit trail role ${role}` });
    const client = userPool.addClient('Console', {
      authFlows: { userSrp: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
    });
    NagSuppressions.addResourceSuppressions(
      userPool,
      [
        {
          id: 'AwsSolutions-COG8',
          reason:
            'Accounts are created by admins (no self sign-up) and require TOTP MFA; threat protection needs the paid Plus plan, an operator choice',
        },
      ],
      true,
    );
    this.userPool = userPool;
    this.userPoolClient = client;
    this.authorizer = new authorizers.HttpUserPoolAuthorizer('Cognito', userPool, { userPoolClients: [client] });
  }
}
