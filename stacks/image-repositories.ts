// ECR repositories for the trainer and scorer images: immutable tags (a tag always means the same image,
// so a pipeline definition pins exactly what runs), scan on push, and a lifecycle policy.
import { Construct } from 'constructs';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';

export interface ImageRepositoriesProps {
  readonly trainerRepositoryName: string;
  readonly scorerRepositoryName: string;
  readonly kmsKeyArn: string;
  readonly keepTaggedImages: number;
  readonly untaggedExpiryDays: number;
}

export class ImageRepositories extends Construct {
  readonly trainer: EcrRepository;
  readonly scorer: EcrRepository;

  constructor(scope: Construct, id: string, props: ImageRepositoriesProps) {
    super(scope, id);
    this.trainer = this.repository('trainer', props.trainerRepositoryName, props);
    this.scorer = this.repository('scorer', props.scorerRepositoryName, props);
  }

  private repository(id: string, name: string, props: ImageRepositoriesProps): EcrRepository {
    const repository = new EcrRepository(this, id, {
      name,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'KMS', kmsKey: props.kmsKeyArn }],
      forceDelete: false,
    });
    new EcrLifecyclePolicy(this, `${id}-lifecycle`, {
      repository: repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `expire untagged images after ${props.untaggedExpiryDays} days`,
            selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: props.untaggedExpiryDays },
            action: { type: 'expire' },
          },
          {
            rulePriority: 2,
            description: `keep the last ${props.keepTaggedImages} tagged images`,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: props.keepTaggedImages },
            action: { type: 'expire' },
          },
        ],
      }),
    });
    return repository;
  }
}
