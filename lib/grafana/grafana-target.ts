import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

export interface ExistingGrafanaProps {
  /** Base URL of the Grafana to provision, e.g. `https://grafana.example.com`. */
  readonly url: string;
  /** Secret whose plain-text value is a Grafana service-account token with the Admin role in its organisation. */
  readonly apiToken: secretsmanager.ISecret;
  /** VPC to run the provisioner in when Grafana is only reachable from inside it. @default - outside any VPC */
  readonly vpc?: ec2.IVpc;
}

export interface ManagedGrafanaProps {
  /**
   * How people sign in to the new Amazon Managed Grafana workspace (`AWS_SSO` needs IAM Identity Center).
   * @default ['AWS_SSO']
   */
  readonly authenticationProviders?: string[];
  /** @default '10.4' */
  readonly grafanaVersion?: string;
}

/** Where heapwatch provisions its dashboards and AMP data source. */
export abstract class GrafanaTarget {
  /** Which kind of Grafana this is. */
  abstract readonly kind: 'existing' | 'managed-workspace';

  /** A Grafana you already run, reached through its HTTP API with a service-account token. */
  static existing(props: ExistingGrafanaProps): GrafanaTarget {
    return new ExistingGrafanaTarget(props);
  }

  /** A new Amazon Managed Grafana workspace; heapwatch authenticates with short-lived service-account tokens. */
  static managedWorkspace(props: ManagedGrafanaProps = {}): GrafanaTarget {
    return new ManagedGrafanaTarget(props);
  }
}

export class ExistingGrafanaTarget extends GrafanaTarget {
  readonly kind = 'existing';

  constructor(readonly props: ExistingGrafanaProps) {
    super();
  }
}

export class ManagedGrafanaTarget extends GrafanaTarget {
  readonly kind = 'managed-workspace';

  constructor(readonly props: ManagedGrafanaProps) {
    super();
  }
}
