import { THING_NAME_PATTERN } from '../../core/access/mqtt-policy.ts';

/** The device `npm start` knows when LOCAL_DEVICES is unset (printed at start, like the dev token). */
export const DEFAULT_DEV_DEVICE = { thing: 'r-17', secret: 'dev-device-secret' } as const;

/**
 * Local stand-in for IoT Core's device certificates: `LOCAL_DEVICES="thing:secret,…"`. A device connects with MQTT
 * username = thing name and password = secret, and client id = thing name (as the device policy's iot:Connect on
 * client/<thing> requires). Unset: one device, `r-17` with secret `dev-device-secret`. Returns thing → secret.
 */
export function parseLocalDevices(spec: string | undefined): Map<string, string> {
  const devices = new Map<string, string>();
  if (spec === undefined || spec.trim() === '') {
    devices.set(DEFAULT_DEV_DEVICE.thing, DEFAULT_DEV_DEVICE.secret);
    return devices;
  }
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = item.indexOf(':');
    const thing = at < 0 ? item : item.slice(0, at);
    const secret = at < 0 ? '' : item.slice(at + 1);
    if (!THING_NAME_PATTERN.test(thing))
      throw new Error(
        `LOCAL_DEVICES: "${thing}" in "${item}" is not a thing name (1-128 letters, digits, "_" or "-"; format thing:secret)`,
      );
    if (!/^\S{8,}$/.test(secret))
      throw new Error(
        `LOCAL_DEVICES: the secret of ${thing} must be at least 8 characters without spaces (thing:secret)`,
      );
    if (devices.has(thing)) throw new Error(`LOCAL_DEVICES: ${thing} is listed twice`);
    devices.set(thing, secret);
  }
  return devices;
}
