import { create, fromBinary, toBinary, type DescFile, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { Code, type ConnectRouter } from '@connectrpc/connect';
import * as v1 from './gen/grpc/reflection/v1/reflection_pb.js';
import * as v1alpha from './gen/grpc/reflection/v1alpha/reflection_pb.js';

/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha), answered from the descriptors
 * protobuf-es embeds in the generated code, so grpcurl and `buf curl --reflect` need no
 * .proto files. Calls go through the server's interceptors like any other: behind the
 * service token (see service-auth.ts), since the API's shape is nobody else's business.
 */
export function registerReflection(router: ConnectRouter, services: readonly DescService[]): void {
  const index = new ReflectionIndex([...services, v1.ServerReflection, v1alpha.ServerReflection]);
  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) yield index.answer(req);
    },
  });
  // Same messages, other package: the wire format is identical, so convert through bytes
  // instead of keeping a second copy of the logic.
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        const asV1 = fromBinary(v1.ServerReflectionRequestSchema, toBinary(v1alpha.ServerReflectionRequestSchema, req));
        yield fromBinary(v1alpha.ServerReflectionResponseSchema, toBinary(v1.ServerReflectionResponseSchema, index.answer(asV1)));
      }
    },
  });
}

/** Which file declares what, built once from the served services and everything they import. */
export class ReflectionIndex {
  private readonly serviceNames: string[];
  private readonly files = new Map<string, DescFile>();
  private readonly fileOfSymbol = new Map<string, DescFile>();
  /** Encoded FileDescriptorProtos, computed once: answers are the same for every caller. */
  private readonly encoded = new Map<DescFile, Uint8Array>();

  constructor(services: readonly DescService[]) {
    this.serviceNames = [...new Set(services.map((s) => s.typeName))].sort();
    for (const s of services) this.addFile(s.file);
  }

  answer(req: v1.ServerReflectionRequest): v1.ServerReflectionResponse {
    const base = { validHost: req.host, originalRequest: req };
    const files = (list: DescFile[]) =>
      create(v1.ServerReflectionResponseSchema, {
        ...base,
        messageResponse: {
          case: 'fileDescriptorResponse',
          value: { fileDescriptorProto: list.map((f) => this.encode(f)) },
        },
      });
    const error = (code: Code, message: string) =>
      create(v1.ServerReflectionResponseSchema, {
        ...base,
        messageResponse: { case: 'errorResponse', value: { errorCode: code, errorMessage: message } },
      });
    const m = req.messageRequest;
    switch (m.case) {
      case 'listServices':
        return create(v1.ServerReflectionResponseSchema, {
          ...base,
          messageResponse: { case: 'listServicesResponse', value: { service: this.serviceNames.map((name) => ({ name })) } },
        });
      case 'fileByFilename': {
        const file = this.files.get(m.value);
        return file ? files(this.withImports(file)) : error(Code.NotFound, `file not found: ${m.value}`);
      }
      case 'fileContainingSymbol': {
        const file = this.fileOfSymbol.get(m.value.replace(/^\./, ''));
        return file ? files(this.withImports(file)) : error(Code.NotFound, `symbol not found: ${m.value}`);
      }
      case 'fileContainingExtension':
        // Our protos declare no extensions.
        return error(Code.NotFound, `extension not found: ${m.value.containingType}(${m.value.extensionNumber})`);
      case 'allExtensionNumbersOfType':
        return this.fileOfSymbol.has(m.value)
          ? create(v1.ServerReflectionResponseSchema, {
              ...base,
              messageResponse: { case: 'allExtensionNumbersResponse', value: { baseTypeName: m.value, extensionNumber: [] } },
            })
          : error(Code.NotFound, `type not found: ${m.value}`);
      default:
        return error(Code.InvalidArgument, 'unknown reflection request');
    }
  }

  private addFile(file: DescFile): void {
    if (this.files.has(file.proto.name)) return;
    this.files.set(file.proto.name, file);
    for (const s of file.services) {
      this.fileOfSymbol.set(s.typeName, file);
      for (const method of s.methods) this.fileOfSymbol.set(`${s.typeName}.${method.name}`, file);
    }
    const addMessages = (messages: DescFile['messages']) => {
      for (const msg of messages) {
        this.fileOfSymbol.set(msg.typeName, file);
        for (const e of msg.nestedEnums) this.fileOfSymbol.set(e.typeName, file);
        addMessages(msg.nestedMessages);
      }
    };
    addMessages(file.messages);
    for (const e of file.enums) this.fileOfSymbol.set(e.typeName, file);
    for (const dep of file.dependencies) this.addFile(dep);
  }

  /**
   * The file first, then everything it imports, transitively: a client can then build the
   * file without asking again (grpc-go sends the same).
   */
  private withImports(file: DescFile): DescFile[] {
    const out: DescFile[] = [];
    const visit = (f: DescFile) => {
      if (out.includes(f)) return;
      out.push(f);
      f.dependencies.forEach(visit);
    };
    visit(file);
    return out;
  }

  private encode(file: DescFile): Uint8Array {
    let bytes = this.encoded.get(file);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.encoded.set(file, bytes);
    }
    return bytes;
  }
}
