// One role per job kind, each with only what its steps need:
// - training: the training pipeline and its Train, Evaluate and Register jobs (trainer image, training inputs,
//   runs/training/, MLflow read-write: log runs, register versions, move the training alias). No Kafka.
// - scoring: the inference pipeline and its Score job (scorer image, the scoring input, runs/inference/, MLflow
//   read-only, the Kafka credentials). It cannot register a model version or move an alias.
// - scheduler: EventBridge Scheduler, to start the two pipelines and dead-letter failed starts.
// Every policy lists exact actions; resources are this environment's ARNs (derived from platformArns, so they are
// exact at synth time). "*" appears only through UNSCOPABLE for APIs without resource-level permissions.
//
// State addresses: the training role is the single execution role it was split from (same IAM name, moved from
// roles/execution-role with its policies), and the scheduler role moved from roles/scheduler-role, so an existing
// deployment updates both in place; the scoring role is new. See docs/infrastructure.md ("Roles").
import { Construct } from 'constructs';
import type { EnvironmentConfig, PlatformArns, PlatformNames } from '../environments';
import {
  dataAccessStatements,
  imagePullStatements,
  logsAndMetricsStatements,
  pipelineJobStatements,
  vpcNetworkingStatements,
  type AccountScope,
  type SageMakerJobKind,
} from './iam/job-permissions';
import { kafkaStatements } from './iam/kafka-permissions';
import { legacyAddress } from './iam/legacy-address';
import type { PolicyStatement } from './iam/policy-document';
import { ServiceRole } from './iam/service-role';
import type { MlflowReference } from './mlflow-reference';

export interface RolesProps {
  readonly accountId: string;
  readonly region: string;
  readonly names: Pick<PlatformNames, 'trainingRole' | 'scoringRole' | 'schedulerRole'>;
  readonly arns: PlatformArns;
  readonly artifactKeyArn: string;
  readonly mlflow: MlflowReference;
  /** Key prefixes (ending "/") each job kind reads, and the one it writes its run outputs under. */
  readonly training: { readonly readPrefixes: readonly string[]; readonly writePrefix: string };
  readonly scoring: { readonly readPrefixes: readonly string[]; readonly writePrefix: string };
  readonly kafka: EnvironmentConfig['kafka'];
  readonly vpc?: EnvironmentConfig['vpc'];
}

// Jobs run for up to the 5-day SageMaker limit; 12 hours is the longest IAM session a role allows.
const JOB_SESSION_SECONDS = 43200;

export class Roles extends Construct {
  readonly training: ServiceRole;
  readonly scoring: ServiceRole;
  readonly scheduler: ServiceRole;

  constructor(scope: Construct, id: string, props: RolesProps) {
    super(scope, id);
    const { arns } = props;
    const account: AccountScope = { accountId: props.accountId, region: props.region };
    const jobPolicies = (
      kinds: readonly SageMakerJobKind[],
      roleArn: string,
      repositoryArn: string,
      data: RolesProps['training'],
    ): Record<string, readonly PolicyStatement[]> => ({
      'data-access': dataAccessStatements({ bucketArn: arns.dataBucket, ...data, keyArn: props.artifactKeyArn }),
      images: imagePullStatements([repositoryArn]),
      'logs-and-metrics': logsAndMetricsStatements(account, kinds),
      'pipeline-jobs': pipelineJobStatements(account, kinds, roleArn),
      'vpc-networking': props.vpc ? vpcNetworkingStatements(account, props.vpc) : [],
    });

    this.training = new ServiceRole(this, 'training', {
      name: props.names.trainingRole,
      description: 'Training pipeline and its Train, Evaluate and Register jobs',
      service: 'sagemaker.amazonaws.com',
      accountId: props.accountId,
      maxSessionDuration: JOB_SESSION_SECONDS,
      policies: {
        ...jobPolicies(['training-job', 'processing-job'], arns.trainingRole, arns.trainerRepository, props.training),
        'mlflow-access': props.mlflow.accessStatements('read-write'),
      },
    });

    this.scoring = new ServiceRole(this, 'scoring', {
      name: props.names.scoringRole,
      description: 'Batch-inference pipeline and its Score job',
      service: 'sagemaker.amazonaws.com',
      accountId: props.accountId,
      maxSessionDuration: JOB_SESSION_SECONDS,
      policies: {
        ...jobPolicies(['processing-job'], arns.scoringRole, arns.scorerRepository, props.scoring),
        'mlflow-access': props.mlflow.accessStatements('read-only'),
        kafka: kafkaStatements(props.kafka),
      },
    });

    // The schedules' DLQ is encrypted with a key whose key policy names this role (nightly-schedules), so this
    // policy holds exactly the two permissions a schedule needs.
    this.scheduler = new ServiceRole(this, 'scheduler', {
      name: props.names.schedulerRole,
      description: 'EventBridge Scheduler: start the nightly pipelines',
      service: 'scheduler.amazonaws.com',
      accountId: props.accountId,
      policies: {
        'start-pipelines': [
          { Sid: 'StartNightlyPipelines', Action: ['sagemaker:StartPipelineExecution'], Resource: [arns.trainingPipeline, arns.inferencePipeline] },
          { Sid: 'SendFailedStartsToDeadLetterQueue', Action: ['sqs:SendMessage'], Resource: arns.scheduleDeadLetterQueue },
        ],
      },
    });

    this.keepLegacyAddresses();
  }

  /** Moved blocks from the addresses of the single-execution-role layout, so Terraform updates instead of replacing. */
  private keepLegacyAddresses(): void {
    this.training.role.moveFromId(legacyAddress('aws_iam_role', ['roles', 'execution-role']));
    for (const name of ['data-access', 'images', 'logs-and-metrics', 'pipeline-jobs', 'vpc-networking']) {
      this.training.policies.get(name)?.moveFromId(legacyAddress('aws_iam_role_policy', ['roles', name]));
    }
    this.training.policy('mlflow-access').moveFromId(legacyAddress('aws_iam_role_policy', ['mlflow', 'access-0']));
    this.scheduler.role.moveFromId(legacyAddress('aws_iam_role', ['roles', 'scheduler-role']));
    this.scheduler.policy('start-pipelines').moveFromId(legacyAddress('aws_iam_role_policy', ['roles', 'start-pipelines']));
  }
}
