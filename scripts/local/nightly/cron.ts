// When an EventBridge Scheduler cron expression fires, to start the deployed schedules' pipelines in the order a
// night would. Fields: minutes hours day-of-month month day-of-week year, in the schedule's time zone
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based). The local run supports
// the forms the environments use: * ? numbers, lists, ranges, steps and names; L, W and # are refused clearly.
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS },
  { name: 'year', min: 1970, max: 2199 },
];

/** null: any value (* or ?). */
type FieldSet = Set<number> | null;

function parseValue(text: string, field: FieldSpec): number {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + 1 : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < field.min || value > field.max) {
    throw new Error(`cron ${field.name} field: "${text}" is not a value from ${field.min} to ${field.max}`);
  }
  return value;
}

function parseField(text: string, field: FieldSpec): FieldSet {
  if (text === '*' || text === '?') return null;
  if (/[LW#]/.test(text)) throw new Error(`cron ${field.name} field "${text}": L, W and # are not supported by the local run`);
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`cron ${field.name} field: bad step in "${part}"`);
    const [from, to] = range === '*' ? [field.min, field.max] : range.includes('-') ? range.split('-').map((v) => parseValue(v, field)) : [parseValue(range, field), stepText === undefined ? parseValue(range, field) : field.max];
    for (let v = from as number; v <= (to as number); v += step) values.add(v);
  }
  return values;
}

export interface Cron {
  readonly expression: string;
  readonly fields: readonly FieldSet[];
}

/** Parses the inside of `cron(...)`; throws with the field named when it is not a valid expression. */
export function parseCron(expression: string): Cron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`cron(${expression}): expected 6 fields "minutes hours day-of-month month day-of-week year"`);
  return { expression, fields: parts.map((part, i) => parseField(part, FIELDS[i] as FieldSpec)) };
}

/** The wall-clock fields of an instant in a time zone. */
function wallClock(instant: Date, timeZone: string): number[] {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return [Number(get('minute')), Number(get('hour')), Number(get('day')), Number(get('month')), DAYS.indexOf(get('weekday').toUpperCase()) + 1, Number(get('year'))];
}

const matches = (set: FieldSet, value: number) => set === null || set.has(value);

/** The first minute at or after `from` at which the cron fires in `timeZone`, searching up to `withinDays`. */
export function nextFireTime(cron: Cron, timeZone: string, from: Date, withinDays = 8): Date | undefined {
  const start = Math.ceil(from.getTime() / 60_000) * 60_000;
  for (let t = start; t < start + withinDays * 86_400_000; t += 60_000) {
    const instant = new Date(t);
    const clock = wallClock(instant, timeZone);
    if (cron.fields.every((set, i) => matches(set, clock[i] as number))) return instant;
  }
  return undefined;
}
