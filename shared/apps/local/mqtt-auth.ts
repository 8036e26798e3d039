import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { describeIdentity, MQTT_SERVICES, type MqttIdentity, type MqttService } from '../../core/access/mqtt-policy.ts';

/** What one of the stack's own clients connects with (generated at each broker start, held in memory only). */
export interface MqttCredential {
  clientId: string;
  username: string;
  password: string;
}

export type ServiceCredentials = Record<MqttService, MqttCredential>;

/** One random password per service and broker start; usernames hold ':', which no thing name may (THING_NAME_PATTERN). */
export function serviceCredentials(): ServiceCredentials {
  const names = Object.keys(MQTT_SERVICES) as MqttService[];
  return Object.fromEntries(
    names.map((name) => [
      name,
      {
        clientId: `trail-${name}-${randomBytes(6).toString('hex')}`,
        username: `trail:${name}`,
        password: randomBytes(32).toString('base64url'),
      },
    ]),
  ) as ServiceCredentials;
}

const digest = (secret: string | Buffer) => createHash('sha256').update(secret).digest();
/** Equal-length digests, so the comparison takes as long whatever the secrets are. */
const secretsMatch = (given: Buffer, expected: string) => timingSafeEqual(digest(given), digest(expected));
const UNKNOWN_SECRET = randomBytes(32).toString('base64url');

/**
 * The identity a CONNECT's credentials prove, or why they prove none (CONNACK 4: bad username or password; 2:
 * identifier rejected). The client id must be the credential's own, as iot:Connect on client/<thing> requires on
 * AWS: a client could otherwise take over another's session (MQTT drops the older connection of a client id).
 */
export function authenticate(
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined,
  devices: ReadonlyMap<string, string>,
  services: ServiceCredentials,
): { identity: MqttIdentity } | { refused: string; returnCode: 2 | 4 } {
  if (!username || !password)
    return {
      refused:
        'no username and password: a device connects with username = its thing name, password = its secret (LOCAL_DEVICES)',
      returnCode: 4,
    };
  const service = (Object.keys(services) as MqttService[]).find((name) => services[name].username === username);
  const expected = service ? services[service] : { clientId: username, password: devices.get(username) };
  // An unknown name costs the same comparison as a known one.
  const match = secretsMatch(password, expected.password ?? UNKNOWN_SECRET);
  if (!match || expected.password === undefined)
    return { refused: `wrong username or password for ${JSON.stringify(username)}`, returnCode: 4 };
  const identity: MqttIdentity = service ? { kind: 'service', name: service } : { kind: 'device', thing: username };
  if (clientId !== expected.clientId)
    return {
      refused: `${describeIdentity(identity)} must connect with client id ${JSON.stringify(expected.clientId)}`,
      returnCode: 2,
    };
  return { identity };
}
