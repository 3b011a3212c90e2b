// The deployed schedules, read back from the emulator (ListSchedules + GetSchedule), and the order in which one
// night fires them: what the local run starts, with which parameters, is what EventBridge Scheduler would start.
import { GetScheduleCommand, ListSchedulesCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { nextFireTime, parseCron } from './cron';

export interface DeployedSchedule {
  readonly name: string;
  readonly group: string;
  readonly expression: string;
  readonly timezone: string;
  readonly enabled: boolean;
  /** The pipeline the schedule starts (its target ARN). */
  readonly pipelineArn: string;
  /** SageMakerPipelineParameters of the target, as StartPipelineExecution will get them. */
  readonly parameters: Record<string, string>;
}

export async function readDeployedSchedules(client: SchedulerClient, group: string): Promise<DeployedSchedule[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListSchedulesCommand({ GroupName: group, NextToken: token }));
    names.push(...(page.Schedules ?? []).map((s) => s.Name as string));
    token = page.NextToken;
  } while (token);
  const schedules: DeployedSchedule[] = [];
  for (const name of names.sort()) {
    const s = await client.send(new GetScheduleCommand({ GroupName: group, Name: name }));
    const target = s.Target;
    if (!target?.Arn?.includes(':sagemaker:') || !target.SageMakerPipelineParameters) continue; // not a pipeline schedule
    schedules.push({
      name,
      group,
      expression: s.ScheduleExpression ?? '',
      timezone: s.ScheduleExpressionTimezone ?? 'UTC',
      enabled: s.State !== 'DISABLED',
      pipelineArn: target.Arn,
      parameters: Object.fromEntries((target.SageMakerPipelineParameters.PipelineParameterList ?? []).map((p) => [p.Name as string, p.Value ?? ''])),
    });
  }
  return schedules;
}

export interface PlannedStart {
  readonly schedule: DeployedSchedule;
  /** When the schedule fires in the night being run. */
  readonly firesAt: Date;
}

/**
 * The night of `date` runs from 12:00 UTC that day for 24 hours: each enabled schedule fires at its first fire time
 * in that window, and the pipelines start in that order. Schedules that do not fire in it are returned apart.
 */
export function orderForNight(schedules: readonly DeployedSchedule[], date: Date): { starts: PlannedStart[]; skipped: { schedule: DeployedSchedule; reason: string }[] } {
  const windowStart = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), 12));
  const starts: PlannedStart[] = [];
  const skipped: { schedule: DeployedSchedule; reason: string }[] = [];
  for (const schedule of schedules) {
    if (!schedule.enabled) {
      skipped.push({ schedule, reason: 'disabled' });
      continue;
    }
    const cron = /^cron\((.*)\)$/.exec(schedule.expression)?.[1];
    if (cron === undefined) {
      skipped.push({ schedule, reason: `${schedule.expression} is not a cron expression (rate and at schedules are not run by the local night)` });
      continue;
    }
    const firesAt = nextFireTime(parseCron(cron), schedule.timezone, windowStart, 1);
    if (firesAt) starts.push({ schedule, firesAt });
    else skipped.push({ schedule, reason: `does not fire between ${windowStart.toISOString()} and 24 hours later` });
  }
  starts.sort((a, b) => a.firesAt.getTime() - b.firesAt.getTime());
  return { starts, skipped };
}
