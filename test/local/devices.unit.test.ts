import { describe, expect, it } from 'vitest';
import { loadStartConfig } from '../../shared/apps/local/config.ts';
import { DEFAULT_DEV_DEVICE, parseLocalDevices } from '../../shared/apps/local/devices.ts';

describe('parseLocalDevices (LOCAL_DEVICES)', () => {
  it('unset or blank: the one documented dev device r-17', () => {
    for (const spec of [undefined, '', '  '])
      expect([...parseLocalDevices(spec)]).toEqual([[DEFAULT_DEV_DEVICE.thing, DEFAULT_DEV_DEVICE.secret]]);
    expect(DEFAULT_DEV_DEVICE).toEqual({ thing: 'r-17', secret: 'dev-device-secret' });
  });

  it('reads thing:secret items; the secret may hold ":"; a configured list replaces the default', () => {
    const devices = parseLocalDevices(' r-1:secret-one ,plc_7:a:b:c:d:e:f,');
    expect(Object.fromEntries(devices)).toEqual({ 'r-1': 'secret-one', plc_7: 'a:b:c:d:e:f' });
    expect(devices.has(DEFAULT_DEV_DEVICE.thing)).toBe(false);
  });

  it.each([
    ['r-1', /the secret of r-1 must be at least 8 characters/],
    ['r-1:short', /the secret of r-1 must be at least 8 characters/],
    ['r/1:long-enough', /"r\/1" in "r\/1:long-enough" is not a thing name/],
    ['r+:long-enough', /"r\+" in "r\+:long-enough" is not a thing name/],
    ['#:long-enough', /"#" in "#:long-enough" is not a thing name/],
    [':long-enough', /"" in ":long-enough" is not a thing name/],
    ['r-1:long-enough,r-1:other-secret', /r-1 is listed twice/],
  ])('refuses %j, naming the variable and why', (spec, why) => {
    expect(() => parseLocalDevices(spec)).toThrow(/^LOCAL_DEVICES: /);
    expect(() => parseLocalDevices(spec)).toThrow(why);
  });

  it('a bad LOCAL_DEVICES stops `trail start` before anything starts, naming the variable', () => {
    expect(() => loadStartConfig({ LOCAL_DEVICES: 'r-1:short' })).toThrow(
      /LOCAL_DEVICES is invalid \(the secret of r-1 must be at least 8 characters.*\): thing:secret/,
    );
  });
});
