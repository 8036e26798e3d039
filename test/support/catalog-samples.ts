/** A realistic payload and one that must be refused, for every built-in type. */
export const SAMPLES: Record<string, { good: Record<string, unknown>; bad: Record<string, unknown> }> = {
  'robot.online': { good: { reason: 'boot' }, bad: { reason: 42 } },
  'robot.offline': { good: { reason: 'heartbeat timeout' }, bad: { reason: '' } },
  'robot.config.pushed': {
    good: { version: 'cfg-2026.05.1', changes: ['speed', 'zone'] },
    bad: { changes: ['speed'] },
  },
  'robot.firmware.queued': { good: { version: '4.2.0', fromVersion: '4.1.3' }, bad: { version: 4.2 } },
  'robot.firmware.applied': {
    good: { version: '4.2.0', fromVersion: '4.1.3', success: true },
    bad: { version: '4.2.0', success: 'yes' },
  },
  'robot.session.started': { good: { sessionId: 's-991', operator: 'alice' }, bad: { operator: 'alice' } },
  'robot.session.ended': {
    good: { sessionId: 's-991', durationSeconds: 312 },
    bad: { sessionId: 's-991', durationSeconds: -1 },
  },
  'sensor.threshold.breached': {
    good: { metric: 'temperature', value: 9.4, threshold: 8, unit: 'C' },
    bad: { metric: 'temperature', value: '9.4', threshold: 8 },
  },
  'sensor.threshold.recovered': {
    good: { metric: 'temperature', value: 7.5, threshold: 8 },
    bad: { metric: 'temperature', value: 7.5 },
  },
  'sensor.offline': {
    good: { lastSeenAt: '2026-05-10T11:58:00Z', reason: 'no uplink' },
    bad: { lastSeenAt: 'yesterday' },
  },
  'sensor.battery.low': { good: { level: 12 }, bad: { level: 140 } },
  'sensor.payload.decode_failed': { good: { error: 'CRC mismatch', rawSize: 51 }, bad: { rawSize: 51 } },
  'container.bay.assigned': { good: { bay: 'B-12' }, bad: {} },
  'container.moved': { good: { fromBay: 'B-12', toBay: 'C-03' }, bad: { fromBay: 'B-12' } },
  'container.weight.captured': { good: { value: 412.5, unit: 'kg' }, bad: { value: 'heavy' } },
  'container.temperature.captured': { good: { value: 3.2 }, bad: { unit: 'C' } },
  'container.batch.changed': {
    good: { cultivar: 'Nadorcott', batch: 'NAD-2026-114', fromBatch: 'NAD-2026-101' },
    bad: { fromBatch: 'NAD-2026-101' },
  },
  'controller.state.changed': { good: { from: 'IDLE', to: 'RUNNING' }, bad: { from: 'IDLE' } },
  'controller.register.overridden': {
    good: { register: 'HR40001', from: 0, to: 1 },
    bad: { register: 'HR40001', from: 0 },
  },
  'controller.protocol.error': {
    good: { protocol: 'modbus-tcp', error: 'timeout after 3 retries' },
    bad: { protocol: 'modbus-tcp' },
  },
  'user.login': { good: { method: 'password+totp' }, bad: { method: ['sso'] } },
  'user.logout': { good: { method: 'timeout' }, bad: { method: 7 } },
  'user.role.changed': { good: { from: 'operator', to: 'admin' }, bad: { from: 'operator' } },
  'user.permission.granted': { good: { permission: 'events:export' }, bad: { permission: '' } },
  'user.permission.revoked': { good: { permission: 'events:export' }, bad: {} },
  'user.override': {
    good: { target: 'controller:plc-7', setting: 'setpoint', from: 4, to: 6 },
    bad: { target: 'controller:plc-7', to: 6 },
  },
  'audit.accessed': {
    good: { route: 'GET /events', filters: { severity: 'CRITICAL' }, rows: 20 },
    bad: { route: 'GET /events', rows: -3 },
  },
  'audit.access.completed': {
    good: { accessId: '01890a5d-ac96-774b-bcce-b302099a8057', route: 'GET /events/export', outcome: 'cut', rows: 812 },
    bad: { accessId: '01890a5d-ac96-774b-bcce-b302099a8057', route: 'GET /events/export', outcome: 'partly', rows: 1 },
  },
  'audit.api.request': {
    good: {
      method: 'GET',
      route: 'GET /events',
      status: 401,
      principal: null,
      roles: 'unauthenticated',
      sourceIp: '203.0.113.7',
      userAgent: 'curl/8.5.0',
      requestId: 'local-5e1f',
      durationMs: 2,
      count: 1,
      firstAt: '2026-05-10T12:00:00.000Z',
      lastAt: '2026-05-10T12:00:00.000Z',
    },
    bad: { method: 'GET', route: 'GET /events', status: 999 },
  },
};
