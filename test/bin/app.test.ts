import { Match, Template } from 'aws-cdk-lib/assertions';
import { DEMO_IMAGE_CONTEXT, GRAFANA_CONTEXT, HeapwatchDemoStack } from '../../bin/app';
import { testApp, unacknowledgedNagErrors } from '../lib/test-app';

describe('HeapwatchDemoStack', () => {
  let template: Template;
  let nagErrors: string[];

  beforeAll(() => {
    // Prepare
    const app = testApp();
    // Act
    const stack = new HeapwatchDemoStack(app, 'HeapwatchDemo');
    template = Template.fromStack(stack);
    nagErrors = unacknowledgedNagErrors(app, stack);
  });

  it('is environment-agnostic, so synth needs no credentials', () => {
    expect(JSON.stringify(template.toJSON())).not.toMatch(/\b\d{12}\b/);
  });

  it('builds the demo image from demo/Dockerfile as an asset by default', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'demo',
          Image: { 'Fn::Sub': Match.stringLikeRegexp('cdk-hnb659fds-container-assets') },
          PortMappings: [
            { ContainerPort: 8080, Protocol: 'tcp' },
            { ContainerPort: 9464, Name: 'heapwatch-admin', Protocol: 'tcp' },
          ],
        }),
      ],
    });
  });

  it('routes the load balancer to the traffic port only', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      LoadBalancers: [Match.objectLike({ ContainerName: 'demo', ContainerPort: 8080 })],
    });
  });

  it('has no unacknowledged cdk-nag AwsSolutions error', () => {
    expect(nagErrors).toEqual([]);
  });

  it('uses a registry image when the context names one', () => {
    const app = testApp();
    app.node.setContext(DEMO_IMAGE_CONTEXT, 'public.ecr.aws/example/heapwatch-demo:1.0.0');
    const stack = new HeapwatchDemoStack(app, 'HeapwatchDemo');
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Name: 'demo', Image: 'public.ecr.aws/example/heapwatch-demo:1.0.0' })],
    });
  });

  it('provisions a managed Grafana workspace on request, still without nag errors', () => {
    const app = testApp();
    app.node.setContext(GRAFANA_CONTEXT, 'managed');
    const stack = new HeapwatchDemoStack(app, 'HeapwatchDemo');
    Template.fromStack(stack).resourceCountIs('AWS::Grafana::Workspace', 1);
    expect(unacknowledgedNagErrors(app, stack)).toEqual([]);
  });

  it('explains a Grafana context it cannot use', () => {
    const app = testApp();
    app.node.setContext(GRAFANA_CONTEXT, 'http://grafana.internal');
    expect(() => new HeapwatchDemoStack(app, 'HeapwatchDemo')).toThrow(
      /heapwatch:grafana: 'http:\/\/grafana.internal' is neither 'managed' nor an https:\/\/ URL/,
    );
  });
});
