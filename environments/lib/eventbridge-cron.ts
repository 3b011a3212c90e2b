// EventBridge (Scheduler) cron expressions, checked field by field as the EventBridge cron reference documents
// them, so an impossible schedule such as "99 77 * * ? *" fails synth instead of the deploy:
//
//   field         values            wildcards
//   minutes       0-59              , - * /
//   hours         0-23              , - * /
//   day-of-month  1-31              , - * ? / L W
//   month         1-12 or JAN-DEC   , - * /
//   day-of-week   1-7 or SUN-SAT    , - * ? L #
//   year          1970-2199         , - * /
//
// One of day-of-month and day-of-week must be "?" (not both), and a day-of-week with "#" holds one expression.

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Wildcards besides "," "-" "*" and "/" that the field documents. */
  readonly question?: boolean;
  readonly last?: boolean;
  readonly weekday?: boolean;
  readonly nth?: boolean;
  readonly slash: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly Field[] = [
  { name: 'minutes', min: 0, max: 59, slash: true },
  { name: 'hours', min: 0, max: 23, slash: true },
  { name: 'day-of-month', min: 1, max: 31, question: true, last: true, weekday: true, slash: true },
  { name: 'month', min: 1, max: 12, names: MONTHS, slash: true },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, question: true, last: true, nth: true, slash: false },
  { name: 'year', min: 1970, max: 2199, slash: true },
];

const range = (field: Field) => `${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ''}`;

/** Every problem of the expression (the six fields inside "cron(…)"), empty when it is valid. */
export function cronProblems(expression: string): string[] {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) return [`has ${parts.length} fields, EventBridge cron has 6: minutes hours day-of-month month day-of-week year`];
  const problems = FIELDS.flatMap((field, index) => fieldProblems(field, parts[index]!));
  const [dayOfMonth, dayOfWeek] = [parts[2], parts[4]];
  if (dayOfMonth !== '?' && dayOfWeek !== '?') {
    problems.push('day-of-month or day-of-week must be "?" (EventBridge cannot combine them), e.g. "0 2 * * ? *"');
  } else if (dayOfMonth === '?' && dayOfWeek === '?') {
    problems.push('only one of day-of-month and day-of-week may be "?": set the other, e.g. "*"');
  }
  return problems;
}

function fieldProblems(field: Field, text: string): string[] {
  if (text === '?') return field.question ? [] : [`${field.name} cannot be "?" (only day-of-month and day-of-week can)`];
  const items = text.split(',');
  if (field.nth && text.includes('#') && items.length > 1) return [`${field.name} "${text}": with "#" it holds a single expression`];
  return items.flatMap((item) => {
    const problem = itemProblem(field, item);
    return problem ? [`${field.name} "${item}" ${problem}`] : [];
  });
}

/** Why one comma-separated item of a field is invalid, or undefined. */
function itemProblem(field: Field, item: string): string | undefined {
  if (item === '') return 'is empty (two commas in a row?)';
  if (item === 'L') return field.last ? undefined : 'cannot use "L" (only day-of-month and day-of-week can)';
  if (/W$/.test(item) && field.weekday) return valueProblem(field, item.slice(0, -1));
  if (item.includes('#')) {
    if (!field.nth) return 'cannot use "#" (only day-of-week can)';
    const [day, nth] = item.split('#') as [string, string];
    if (!/^[1-5]$/.test(nth)) return `must name the 1st-5th occurrence after "#" (got "${nth}")`;
    return valueProblem(field, day);
  }
  const [base, step, ...extra] = item.split('/');
  if (step !== undefined) {
    if (!field.slash) return 'cannot use "/" in this field';
    if (extra.length > 0 || !/^\d+$/.test(step) || Number(step) < 1 || Number(step) > field.max) {
      return `has a bad increment after "/" (a whole number 1-${field.max})`;
    }
  }
  if (base === '*') return undefined;
  const [from, to, ...more] = base!.split('-');
  if (more.length > 0) return 'is not a value or a range "a-b"';
  return valueProblem(field, from!) ?? (to === undefined ? undefined : valueProblem(field, to));
}

function valueProblem(field: Field, value: string): string | undefined {
  if (field.names?.includes(value.toUpperCase())) return undefined;
  if (!/^\d+$/.test(value)) return `is not a value of ${range(field)}`;
  const number = Number(value);
  return number < field.min || number > field.max ? `is out of range ${range(field)}` : undefined;
}
