// The gRPC edge's API keys and quotas, the same as the HTTP edge's: metadata `authorization:
// Bearer <key>`; UNAUTHENTICATED without a valid key, PERMISSION_DENIED without the `edit`
// scope, RESOURCE_EXHAUSTED (code rate_limited) over the key's quota.
import { ApiKeyScope } from "@emuedit/nats";
import type { CallContext, EditorService, ServiceImpl } from "@emuedit/proto";
import type { Access, Principal } from "./auth/access.js";

export function guardEditor(impl: ServiceImpl<typeof EditorService>, access: Access): ServiceImpl<typeof EditorService> {
  const caller = (ctx: CallContext): Principal => {
    const value = ctx.metadata.get("authorization")[0];
    return access.check(typeof value === "string" ? value : undefined, ApiKeyScope.Edit);
  };
  return {
    async edit(req, ctx) {
      const lease = await access.admit(caller(ctx));
      try {
        return await impl.edit(req, ctx);
      } finally {
        void lease?.release();
      }
    },
    async *editStream(req, ctx) {
      const lease = await access.admit(caller(ctx));
      try {
        yield* impl.editStream(req, ctx);
      } finally {
        void lease?.release();
      }
    },
    async listTasks(req, ctx) {
      caller(ctx);
      return impl.listTasks(req, ctx);
    },
  };
}
