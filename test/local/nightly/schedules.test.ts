import { nextFireTime, parseCron } from '../../../scripts/local/nightly/cron';
import { orderForNight, type DeployedSchedule } from '../../../scripts/local/nightly/schedules';

const schedule = (name: string, expression: string, timezone: string, enabled = true): DeployedSchedule => ({
  name,
  group: 'g',
  expression,
  timezone,
  enabled,
  pipelineArn: `arn:aws:sagemaker:eu-central-1:000000000000:pipeline/${name}`,
  parameters: {},
});

describe('when an EventBridge cron fires', () => {
  it('fires at the wall-clock time of its time zone', () => {
    const at = nextFireTime(parseCron('0 1 * * ? *'), 'Europe/Berlin', new Date('2026-11-30T12:00:00Z'));
    expect(at?.toISOString()).toBe('2026-12-01T00:00:00.000Z'); // 01:00 CET is 00:00 UTC
  });

  it('understands lists, ranges, steps and names', () => {
    const cron = parseCron('15/20 9-10 ? JAN-MAR MON,FRI *');
    expect(nextFireTime(cron, 'UTC', new Date('2027-01-01T00:00:00Z'))?.toISOString()).toBe('2027-01-01T09:15:00.000Z'); // a Friday
    expect(nextFireTime(cron, 'UTC', new Date('2027-01-01T09:16:00Z'))?.toISOString()).toBe('2027-01-01T09:35:00.000Z');
  });

  it('names the field of a value out of range, and refuses what the local run cannot evaluate', () => {
    expect(() => parseCron('99 1 * * ? *')).toThrow('cron minutes field: "99" is not a value from 0 to 59');
    expect(() => parseCron('0 1 L * ? *')).toThrow('L, W and # are not supported');
    expect(() => parseCron('0 1 * *')).toThrow('expected 6 fields');
  });
});

describe('the order of one night', () => {
  it('starts the schedules in the order they fire after noon UTC, across time zones', () => {
    const { starts, skipped } = orderForNight(
      [
        schedule('inference', 'cron(30 3 * * ? *)', 'Europe/Berlin'),
        schedule('training', 'cron(0 1 * * ? *)', 'Europe/Berlin'),
        schedule('report', 'cron(0 23 * * ? *)', 'UTC'),
        schedule('off', 'cron(0 2 * * ? *)', 'UTC', false),
        schedule('hourly', 'rate(1 hour)', 'UTC'),
      ],
      new Date('2026-11-30T08:00:00Z'),
    );
    expect(starts.map((s) => `${s.schedule.name} ${s.firesAt.toISOString()}`)).toEqual([
      'report 2026-11-30T23:00:00.000Z',
      'training 2026-12-01T00:00:00.000Z',
      'inference 2026-12-01T02:30:00.000Z',
    ]);
    expect(skipped.map((s) => `${s.schedule.name}: ${s.reason}`)).toEqual([
      'off: disabled',
      'hourly: rate(1 hour) is not a cron expression (rate and at schedules are not run by the local night)',
    ]);
  });
});
