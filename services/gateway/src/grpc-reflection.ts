// gRPC server reflection (grpc.reflection.v1 and v1alpha) on the gateway's port, so grpcurl and
// Postman find EditorService without .proto files. The descriptors are the ones `pnpm gen:proto`
// embeds in the generated code (@emuedit/proto), not .proto files read at run time: nothing
// beside the code has to ship. @grpc/reflection itself reads its own reflection.proto from its
// package folder when added: a bundle must keep @grpc/reflection external (docs/api.md).
import { create, toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { loadFileDescriptorSetFromBuffer } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import type { Server } from "@grpc/grpc-js";
import { file_emuedit_v1_editor, file_grpc_health_v1_health } from "@emuedit/proto";

/** The files and every file they import, dependencies first. */
function withDependencies(files: readonly DescFile[]): DescFile[] {
  const out: DescFile[] = [];
  const visit = (f: DescFile) => {
    if (out.includes(f)) return;
    f.dependencies.forEach(visit);
    out.push(f);
  };
  files.forEach(visit);
  return out;
}

/** Serialized FileDescriptorSet of the public services (EditorService, Health). */
export function publicDescriptorSet(): Uint8Array {
  const files = withDependencies([file_emuedit_v1_editor, file_grpc_health_v1_health]);
  return toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: files.map((f) => f.proto) }));
}

export function addReflection(server: Pick<Server, "addService">): void {
  const pkg = loadFileDescriptorSetFromBuffer(Buffer.from(publicDescriptorSet()));
  new ReflectionService(pkg).addToServer(server);
}
