// The plan as the operator reads it before saying --yes: source, target, what will be done, every check with its
// numbers, the alias before and after, and where the record goes.
import { formatBytes } from './model-copy';
import { GATE_PASSED_TAG, metricValue, promotionTagKeys, tagMap } from './lineage';
import { Check, Decision, PromotionPlan, candidateOf, fmt } from './promotion-plan';

export function describePlan(plan: PromotionPlan, decision: Decision): string[] {
  const { from, to, source } = plan;
  const metric = to.qualityGate.metric;
  const sourceMetric = metricValue(plan.sourceTags, metric);
  const selected = plan.selection.alias ? ` (@${plan.selection.alias})` : '';
  const bytes = plan.sourceModel.files.reduce((sum, file) => sum + (file.file_size ?? 0), 0);
  const lines = [
    `Promotion of ${from.env} ${source.name} version ${source.version} to ${to.env} ${to.modelName}@${to.alias}`,
    `  source   ${from.env}: ${source.name} version ${source.version}${selected}${source.status ? `, ${source.status}` : ''}${sourceMetric !== undefined ? `, ${metric} ${fmt(sourceMetric)}` : ''}`,
    `           server ${from.trackingUri}${from.overridden ? ' (override)' : ''}`,
    `           run ${source.run_id || '(none)'}, model ${source.source ?? '?'}`,
    `           files ${plan.sourceModel.files.length} (${formatBytes(bytes)}): ${plan.sourceModel.files.map((file) => file.path).join(', ') || '(none)'}`,
    `  target   ${to.env}: ${to.modelName}@${to.alias}`,
    `           server ${to.trackingUri}${to.overridden ? ' (override)' : ''}`,
    `           now ${plan.current ? `version ${plan.current.version}${currentMetric(plan)}` : '(no version yet)'}`,
    `  action   ${action(plan, decision)}`,
  ];
  if (decision.kind !== 'done') {
    const overridden = new Set(decision.kind === 'go' ? decision.overridden.map((check) => check.id) : []);
    lines.push(`  checks   ${decision.checks.map((check) => checkLine(check, overridden.has(check.id))).join('\n           ')}`);
    const after = candidateOf(plan) ? `version ${candidateOf(plan)!.version}` : 'the new version (the copy)';
    lines.push(`  alias    @${to.alias}: ${plan.current ? `version ${plan.current.version}` : '(none)'} -> ${after}`);
    lines.push(`  record   promoted_* tags on that version + a JSON record under ${to.recordsUri}`);
  }
  return lines;
}

function action(plan: PromotionPlan, decision: Decision): string {
  const { from, to, source, route } = plan;
  if (decision.kind === 'done') {
    const recorded = tagMap(plan.current!)[promotionTagKeys.record];
    return `nothing: already promoted as version ${plan.current!.version}${route.kind === 'alias-move' ? '' : ` (a copy of ${from.env} version ${source.version})`}, recorded in ${recorded}`;
  }
  if (decision.kind === 'complete-record') {
    return `write the missing record: @${to.alias} already points at version ${plan.current!.version}, but an earlier run stopped before recording it`;
  }
  switch (route.kind) {
    case 'alias-move':
      return `move @${to.alias} to version ${source.version} (one registry and one model: nothing is copied)`;
    case 'reuse-copy':
      return `reuse ${to.env} version ${route.copy.version}, already a copy of ${from.env} version ${source.version} (its lineage tags say so), and move @${to.alias} to it`;
    case 'copy':
      return (
        `copy version ${source.version} into ${to.env}'s registry: a run and a logged model in experiment ${to.copyExperiment}, ` +
        `the files byte for byte, the run's params and metrics, the version's tags + lineage.*; register it as a new version of ${to.modelName} and move @${to.alias} to it`
      );
  }
}

function currentMetric(plan: PromotionPlan): string {
  const metric = plan.to.qualityGate.metric;
  const value = metricValue(tagMap(plan.current!), metric);
  const gate = tagMap(plan.current!)[GATE_PASSED_TAG];
  return `${value !== undefined ? `, ${metric} ${fmt(value)}` : `, no metric.${metric} recorded`}${gate ? `, ${GATE_PASSED_TAG}=${gate}` : ''}`;
}

function checkLine(check: Check, overridden: boolean): string {
  const names: Record<Check['id'], string> = { loadable: 'loadable ', gate: 'gate     ', threshold: 'threshold', 'not-worse': 'not worse' };
  const mark = check.ok ? 'ok  ' : 'FAIL';
  const hint = overridden ? ' (overridden: --force)' : !check.ok && check.forceable ? ' (--force --reason "…" would override this check)' : '';
  return `${mark} ${names[check.id]}  ${check.detail}${hint}`;
}
