import { BASE_REQUIREMENTS, OCSF_CLASSES, type OcsfClass, type Requirement } from './classes.ts';
import type { OcsfRecord } from './mapping.ts';

const present = (value: unknown) => value !== null && value !== undefined && value !== '';

function at(record: unknown, path: string): unknown {
  if (path === '') return record;
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | null)?.[key], record);
}

function check(record: OcsfRecord, requirement: Requirement): string | undefined {
  if (typeof requirement === 'string')
    return present(at(record, requirement)) ? undefined : `${requirement} is required`;
  const object = at(record, requirement.object);
  if (!present(object)) return undefined; // whether the object itself is required is its own requirement
  if (requirement.atLeastOne.some((key) => present((object as Record<string, unknown>)[key]))) return undefined;
  return `${requirement.object || '(event)'} needs at least one of ${requirement.atLeastOne.join(', ')}`;
}

/**
 * What an OCSF record lacks against its class (core/ocsf/classes.ts): the required attributes and at-least-one
 * constraints, a class_uid/category_uid/activity_id the class has, and type_uid = class_uid * 100 + activity_id.
 * Empty when it has everything. Not a full schema validation: types and optional attributes are not checked.
 */
export function ocsfProblems(record: OcsfRecord): string[] {
  const ocsfClass = Object.values(OCSF_CLASSES).find((c: OcsfClass) => c.uid === record.class_uid) as
    | OcsfClass
    | undefined;
  if (!ocsfClass) return [`class_uid ${record.class_uid} is not a class the trail maps to`];
  const problems = [...BASE_REQUIREMENTS, ...ocsfClass.required]
    .map((requirement) => check(record, requirement))
    .filter((problem): problem is string => problem !== undefined);
  if (record.category_uid !== ocsfClass.categoryUid)
    problems.push(`category_uid ${record.category_uid} is not ${ocsfClass.categoryUid}`);
  const activity = Number(record.activity_id);
  if (!(activity in ocsfClass.activities))
    problems.push(`activity_id ${activity} is not an activity of ${ocsfClass.name}`);
  if (record.type_uid !== ocsfClass.uid * 100 + activity)
    problems.push(`type_uid ${record.type_uid} is not class_uid * 100 + activity_id`);
  if (![0, 1, 2, 3, 4, 5, 6, 99].includes(Number(record.severity_id)))
    problems.push(`severity_id ${record.severity_id} is not an OCSF severity`);
  return problems;
}
