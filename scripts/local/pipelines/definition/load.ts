// Reads a pipeline definition exactly as deployed (the PipelineDefinition JSON string) and turns it into the
// graph the executor runs: every step (condition branches included), what each waits for (DependsOn, the steps
// its expressions read, the condition that chose its branch), in definition order. Everything that would make
// SageMaker refuse the definition, or this executor unable to run it, is reported here, before anything runs.
import { z } from 'zod';
import { UnsupportedDefinitionError, ValidationException } from '../errors';
import { collectReferences, EXECUTION_VARIABLES } from '../expressions/references';
import { conditionArgumentsSchema, definitionSchema, type DefinitionStep, type PipelineDefinition, type PropertyFile } from './schema';

export interface StepNode {
  readonly step: DefinitionStep;
  /** Position in the definition (depth-first, branches after their condition): the order ready steps start in. */
  readonly order: number;
  /** Set for steps in a Condition's IfSteps (outcome true) or ElseSteps (outcome false). */
  readonly branch?: { readonly condition: string; readonly outcome: boolean };
  /** Steps that must succeed first. */
  readonly dependencies: ReadonlySet<string>;
}

export interface LoadedPipeline {
  readonly definition: PipelineDefinition;
  readonly steps: ReadonlyMap<string, StepNode>;
  propertyFile(step: string, file: string): PropertyFile | undefined;
}

export interface LoadOptions {
  /** Step types the executor has a handler for. */
  readonly supportedTypes: readonly string[];
}

function zodProblems(error: z.ZodError, where: string): string[] {
  return error.issues.map((issue) => `${where}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
}

export function loadDefinition(json: string, options: LoadOptions): LoadedPipeline {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ValidationException('CreatePipeline', [`the pipeline definition is not valid JSON (${(error as Error).message})`]);
  }
  const parsed = definitionSchema.safeParse(raw);
  if (!parsed.success) throw new ValidationException('CreatePipeline', zodProblems(parsed.error, 'PipelineDefinition'));
  const definition = parsed.data as PipelineDefinition;

  const problems: string[] = [];
  const unsupported: string[] = [];
  const flat: Array<{ step: DefinitionStep; branch?: StepNode['branch'] }> = [];
  const visit = (steps: readonly DefinitionStep[], branch?: StepNode['branch']) => {
    for (const step of steps) {
      flat.push({ step, branch });
      if (step.Type === 'Condition') {
        const args = conditionArgumentsSchema.safeParse(step.Arguments ?? {});
        if (!args.success) {
          problems.push(...zodProblems(args.error, `step ${step.Name}: Arguments`));
          continue;
        }
        visit(args.data.IfSteps as DefinitionStep[], { condition: step.Name, outcome: true });
        visit(args.data.ElseSteps as DefinitionStep[], { condition: step.Name, outcome: false });
      } else if (!options.supportedTypes.includes(step.Type)) {
        unsupported.push(`step "${step.Name}" has type ${step.Type}, which the local executor does not run (it runs ${options.supportedTypes.join(', ')})`);
      }
    }
  };
  visit(definition.Steps);
  if (unsupported.length > 0) throw new UnsupportedDefinitionError(unsupported);

  const byName = new Map<string, (typeof flat)[number]>();
  for (const entry of flat) {
    if (byName.has(entry.step.Name)) problems.push(`step name "${entry.step.Name}" is used more than once`);
    byName.set(entry.step.Name, entry);
  }
  const parameters = new Set<string>();
  for (const parameter of definition.Parameters) {
    if (parameters.has(parameter.Name)) problems.push(`parameter "${parameter.Name}" is declared more than once`);
    parameters.add(parameter.Name);
  }

  const propertyFiles = new Map<string, PropertyFile>();
  for (const { step } of flat) {
    for (const file of step.PropertyFiles ?? []) propertyFiles.set(`${step.Name}/${file.PropertyFileName}`, file);
  }

  const nodes = new Map<string, StepNode>();
  flat.forEach(({ step, branch }, order) => {
    const dependencies = new Set<string>(step.DependsOn ?? []);
    for (const dependency of step.DependsOn ?? []) {
      if (!byName.has(dependency)) problems.push(`step "${step.Name}": DependsOn names unknown step "${dependency}"`);
    }
    if (branch) dependencies.add(branch.condition);
    // A Condition's branches are steps of their own; only its Conditions are its expressions.
    const expressions = step.Type === 'Condition' ? (step.Arguments as { Conditions?: unknown } | undefined)?.Conditions : step.Arguments;
    const { targets, invalid } = collectReferences(expressions);
    problems.push(...invalid.map((reason) => `step "${step.Name}": ${reason}`));
    for (const target of targets) {
      if (target.kind === 'parameter' && !parameters.has(target.name)) {
        problems.push(`step "${step.Name}" refers to parameter "${target.name}", which the pipeline does not declare`);
      } else if (target.kind === 'execution' && !(EXECUTION_VARIABLES as readonly string[]).includes(target.variable)) {
        problems.push(`step "${step.Name}" refers to unknown execution variable Execution.${target.variable} (known: ${EXECUTION_VARIABLES.join(', ')})`);
      } else if (target.kind === 'step' || target.kind === 'propertyFile') {
        if (!byName.has(target.step)) problems.push(`step "${step.Name}" refers to unknown step "${target.step}"`);
        else if (target.step === step.Name) problems.push(`step "${step.Name}" refers to its own properties`);
        else dependencies.add(target.step);
        if (target.kind === 'propertyFile' && byName.has(target.step) && !propertyFiles.has(`${target.step}/${target.file}`)) {
          problems.push(`step "${step.Name}" reads property file "${target.file}", which step "${target.step}" does not declare`);
        }
      }
    }
    nodes.set(step.Name, { step, order, branch, dependencies });
  });

  const cycle = findCycle(nodes);
  if (cycle) problems.push(`the steps depend on each other in a cycle: ${cycle.join(' → ')}`);
  if (problems.length > 0) throw new ValidationException('CreatePipeline', problems);

  return { definition, steps: nodes, propertyFile: (step, file) => propertyFiles.get(`${step}/${file}`) };
}

function findCycle(nodes: ReadonlyMap<string, StepNode>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done' || !nodes.has(name)) return undefined;
    if (state.get(name) === 'visiting') return [...trail.slice(trail.indexOf(name)), name];
    state.set(name, 'visiting');
    trail.push(name);
    for (const dependency of nodes.get(name)!.dependencies) {
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of nodes.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle.reverse();
  }
  return undefined;
}

