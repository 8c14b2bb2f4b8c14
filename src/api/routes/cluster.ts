import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { clusterSchema, clusterView } from '../cluster-view.ts';
import type { ApiContext } from '../context.ts';
import { notFound, problemResponses } from '../problem.ts';

/** GET /v1/cluster: what the dashboard's Cluster page shows of the Kubernetes controller, in one request. */

export const clusterRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/cluster',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['kubernetes'],
        summary: "The Kubernetes controller's view of the cluster",
        description:
          "The controller's settings (rules, dry run, interval); the nodes its rules select with every taint " +
          "(gridshift's marked with the rule that sets it and when it last changed it); each scaling target's " +
          'cap now beside the cap its ScaledObject or HPA has; the loads with a kubernetes target and their ' +
          "Jobs by state; the controller's newest decisions. The cluster is read with the controller's " +
          'kubeconfig and context; when it cannot be read the answer still comes, with `reachable` false or ' +
          'the failures in `degraded`. 404 when no kubernetes.controller is configured.',
        response: { 200: clusterSchema, ...problemResponses(401, 403, 404) },
      },
    },
    async () => {
      const controller = ctx.config.kubernetesController;
      if (!controller)
        throw notFound(
          'no Kubernetes controller configured (kubernetes.controller in the configuration file; see docs/kubernetes.md)',
        );
      return clusterView(ctx, controller);
    },
  );
};
