/**
 * The OCSF classes the trail's events map to, and what each requires, written down from the OCSF schema repository
 * (github.com/ocsf/ocsf-schema, tag v1.1.0): `includes/classification.json`, `includes/occurrence.json` and
 * `events/base_event.json` for every class; `events/iam/account_change.json`, `events/iam/authentication.json`,
 * `events/iam/entity_management.json`, `events/application/api.json` per class; `objects/metadata.json`,
 * `objects/product.json`, `objects/user.json`, `objects/actor.json`, `objects/api.json`, `objects/endpoint.json`,
 * `objects/network_endpoint.json` and `objects/_entity.json` for the objects they hold. 1.1 because Security Lake's
 * custom-source guide validates custom sources against OCSF 1.1.
 */
export const OCSF_VERSION = '1.1.0';

/** A required attribute (a dotted path that must hold a value), or an object that needs at least one of its keys. */
export type Requirement = string | { object: string; atLeastOne: readonly string[] };

export interface OcsfClass {
  uid: number;
  name: string;
  categoryUid: number;
  categoryName: string;
  /** Security Lake's name for the class (CreateCustomLogSource `eventClasses`). */
  securityLakeClass: string;
  /** The end of its Security Lake custom source's name: one source per class, as Security Lake asks. */
  sourceSuffix: string;
  activities: Readonly<Record<number, string>>;
  /** What the class requires beyond BASE_REQUIREMENTS. */
  required: readonly Requirement[];
}

/** Every event class: classification, occurrence and base event (with metadata → product). */
export const BASE_REQUIREMENTS: readonly Requirement[] = [
  'activity_id',
  'category_uid',
  'class_uid',
  'type_uid',
  'time',
  'severity_id',
  'metadata',
  'metadata.version',
  'metadata.product',
  'metadata.product.vendor_name',
  { object: 'metadata.product', atLeastOne: ['name', 'uid'] },
];

const USER: Requirement = { object: 'user', atLeastOne: ['account', 'name', 'uid'] };
/** 0 Unknown and 99 Other are valid in every class (includes/classification.json). */
const UNKNOWN_OTHER = { 0: 'Unknown', 99: 'Other' } as const;

export const OCSF_CLASSES = {
  accountChange: {
    uid: 3001,
    name: 'Account Change',
    categoryUid: 3,
    categoryName: 'Identity & Access Management',
    securityLakeClass: 'ACCOUNT_CHANGE',
    sourceSuffix: 'account',
    activities: {
      ...UNKNOWN_OTHER,
      1: 'Create',
      2: 'Enable',
      3: 'Password Change',
      4: 'Password Reset',
      5: 'Disable',
      6: 'Delete',
      7: 'Attach Policy',
      8: 'Detach Policy',
      9: 'Lock',
      10: 'MFA Factor Enable',
      11: 'MFA Factor Disable',
    },
    required: ['user', USER],
  },
  authentication: {
    uid: 3002,
    name: 'Authentication',
    categoryUid: 3,
    categoryName: 'Identity & Access Management',
    securityLakeClass: 'AUTHENTICATION',
    sourceSuffix: 'auth',
    activities: {
      ...UNKNOWN_OTHER,
      1: 'Logon',
      2: 'Logoff',
      3: 'Authentication Ticket',
      4: 'Service Ticket Request',
      5: 'Service Ticket Renew',
    },
    // The class's own constraint: at least one of service and dst_endpoint.
    required: ['user', USER, { object: '', atLeastOne: ['service', 'dst_endpoint'] }],
  },
  entityManagement: {
    uid: 3004,
    name: 'Entity Management',
    categoryUid: 3,
    categoryName: 'Identity & Access Management',
    securityLakeClass: 'ENTITY_MANAGEMENT_AUDIT',
    sourceSuffix: 'entity',
    activities: { ...UNKNOWN_OTHER, 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete' },
    required: ['entity', { object: 'entity', atLeastOne: ['name', 'uid'] }],
  },
  apiActivity: {
    uid: 6003,
    name: 'API Activity',
    categoryUid: 6,
    categoryName: 'Application Activity',
    securityLakeClass: 'API_ACTIVITY',
    sourceSuffix: 'api',
    activities: { ...UNKNOWN_OTHER, 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete' },
    required: [
      'actor',
      { object: 'actor', atLeastOne: ['process', 'user', 'invoked_by', 'session'] },
      'api',
      'api.operation',
      'src_endpoint',
      {
        object: 'src_endpoint',
        atLeastOne: ['ip', 'uid', 'name', 'hostname', 'svc_name', 'instance_uid', 'interface_uid', 'interface_name'],
      },
    ],
  },
} as const satisfies Record<string, OcsfClass>;

export type OcsfClassKey = keyof typeof OCSF_CLASSES;
export const OCSF_CLASS_KEYS = Object.keys(OCSF_CLASSES) as OcsfClassKey[];

/** OCSF severity_id (dictionary.json): the trail's four severities. */
export const OCSF_SEVERITY = {
  INFO: { id: 1, name: 'Informational' },
  WARNING: { id: 3, name: 'Medium' },
  ERROR: { id: 4, name: 'High' },
  CRITICAL: { id: 5, name: 'Critical' },
} as const;
