/** How an event entered the trail: a device over MQTT, a client over HTTP, or the trail itself (its own records). */
export const CHANNELS = ['iot', 'http', 'internal'] as const;
export type Channel = (typeof CHANNELS)[number];
