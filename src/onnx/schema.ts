/**
 * The ONNX protobuf schema (onnx.proto, IR version 10 / ONNX 1.16+), written as a protobufjs JSON
 * descriptor so no code generation step is needed. Field numbers follow onnx.proto exactly; every
 * field of the messages a model file can hold is declared, because protobufjs drops fields it does
 * not know and retort promises to preserve what it reads.
 */
import type { INamespace } from 'protobufjs';

const str = (id: number) => ({ type: 'string', id });
const rep = (type: string, id: number) => ({ rule: 'repeated', type, id });
const one = (type: string, id: number) => ({ type, id });
// onnx.proto is proto2: repeated scalars are unpacked unless marked [packed = true].
const unpacked = (type: string, id: number) => ({ rule: 'repeated', type, id, options: { packed: false } });

export const onnxSchema: INamespace = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: str(1),
            refAttrName: str(21),
            docString: str(13),
            type: one('AttributeType', 20),
            f: one('float', 2),
            i: one('int64', 3),
            s: one('bytes', 4),
            t: one('TensorProto', 5),
            g: one('GraphProto', 6),
            sparseTensor: one('SparseTensorProto', 22),
            tp: one('TypeProto', 14),
            floats: unpacked('float', 7),
            ints: unpacked('int64', 8),
            strings: rep('bytes', 9),
            tensors: rep('TensorProto', 10),
            graphs: rep('GraphProto', 11),
            sparseTensors: rep('SparseTensorProto', 23),
            typeProtos: rep('TypeProto', 15),
          },
          nested: {
            AttributeType: {
              values: {
                UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, SPARSE_TENSOR: 11,
                TYPE_PROTO: 13, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10,
                SPARSE_TENSORS: 12, TYPE_PROTOS: 14,
              },
            },
          },
        },
        ValueInfoProto: {
          fields: {
            name: str(1),
            type: one('TypeProto', 2),
            docString: str(3),
            metadataProps: rep('StringStringEntryProto', 4),
          },
        },
        NodeProto: {
          fields: {
            input: rep('string', 1),
            output: rep('string', 2),
            name: str(3),
            opType: str(4),
            domain: str(7),
            overload: str(8),
            attribute: rep('AttributeProto', 5),
            docString: str(6),
            metadataProps: rep('StringStringEntryProto', 9),
            deviceConfigurations: rep('NodeDeviceConfigurationProto', 10),
          },
        },
        IntIntListEntryProto: { fields: { key: one('int64', 1), value: unpacked('int64', 2) } },
        NodeDeviceConfigurationProto: {
          fields: {
            configurationId: str(1),
            shardingSpec: rep('ShardingSpecProto', 2),
            pipelineStage: one('int32', 3),
          },
        },
        ShardingSpecProto: {
          fields: {
            tensorName: str(1),
            device: unpacked('int64', 2),
            indexToDeviceGroupMap: rep('IntIntListEntryProto', 3),
            shardedDim: rep('ShardedDimProto', 4),
          },
        },
        ShardedDimProto: { fields: { axis: one('int64', 1), simpleSharding: rep('SimpleShardedDimProto', 2) } },
        SimpleShardedDimProto: {
          oneofs: { dim: { oneof: ['dimValue', 'dimParam'] } },
          fields: { dimValue: one('int64', 1), dimParam: str(2), numShards: one('int64', 3) },
        },
        TrainingInfoProto: {
          fields: {
            initialization: one('GraphProto', 1),
            algorithm: one('GraphProto', 2),
            initializationBinding: rep('StringStringEntryProto', 3),
            updateBinding: rep('StringStringEntryProto', 4),
          },
        },
        ModelProto: {
          fields: {
            irVersion: one('int64', 1),
            opsetImport: rep('OperatorSetIdProto', 8),
            producerName: str(2),
            producerVersion: str(3),
            domain: str(4),
            modelVersion: one('int64', 5),
            docString: str(6),
            graph: one('GraphProto', 7),
            metadataProps: rep('StringStringEntryProto', 14),
            trainingInfo: rep('TrainingInfoProto', 20),
            functions: rep('FunctionProto', 25),
            configuration: rep('DeviceConfigurationProto', 26),
          },
        },
        DeviceConfigurationProto: {
          fields: { name: str(1), numDevices: one('int32', 2), device: rep('string', 3) },
        },
        StringStringEntryProto: { fields: { key: str(1), value: str(2) } },
        TensorAnnotation: {
          fields: { tensorName: str(1), quantParameterTensorNames: rep('StringStringEntryProto', 2) },
        },
        GraphProto: {
          fields: {
            node: rep('NodeProto', 1),
            name: str(2),
            initializer: rep('TensorProto', 5),
            sparseInitializer: rep('SparseTensorProto', 15),
            docString: str(10),
            input: rep('ValueInfoProto', 11),
            output: rep('ValueInfoProto', 12),
            valueInfo: rep('ValueInfoProto', 13),
            quantizationAnnotation: rep('TensorAnnotation', 14),
            metadataProps: rep('StringStringEntryProto', 16),
          },
        },
        TensorProto: {
          fields: {
            dims: unpacked('int64', 1),
            dataType: one('int32', 2),
            segment: one('Segment', 3),
            floatData: { rule: 'repeated', type: 'float', id: 4, options: { packed: true } },
            int32Data: { rule: 'repeated', type: 'int32', id: 5, options: { packed: true } },
            stringData: rep('bytes', 6),
            int64Data: { rule: 'repeated', type: 'int64', id: 7, options: { packed: true } },
            name: str(8),
            docString: str(12),
            rawData: one('bytes', 9),
            externalData: rep('StringStringEntryProto', 13),
            dataLocation: one('DataLocation', 14),
            doubleData: { rule: 'repeated', type: 'double', id: 10, options: { packed: true } },
            uint64Data: { rule: 'repeated', type: 'uint64', id: 11, options: { packed: true } },
            metadataProps: rep('StringStringEntryProto', 16),
          },
          nested: {
            Segment: { fields: { begin: one('int64', 1), end: one('int64', 2) } },
            DataLocation: { values: { DEFAULT: 0, EXTERNAL: 1 } },
          },
        },
        SparseTensorProto: {
          fields: { values: one('TensorProto', 1), indices: one('TensorProto', 2), dims: unpacked('int64', 3) },
        },
        TensorShapeProto: {
          fields: { dim: rep('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: { dimValue: one('int64', 1), dimParam: str(2), denotation: str(3) },
            },
          },
        },
        TypeProto: {
          oneofs: {
            value: { oneof: ['tensorType', 'sequenceType', 'mapType', 'optionalType', 'sparseTensorType'] },
          },
          fields: {
            tensorType: one('Tensor', 1),
            sequenceType: one('Sequence', 4),
            mapType: one('Map', 5),
            optionalType: one('Optional', 9),
            sparseTensorType: one('SparseTensor', 8),
            denotation: str(6),
          },
          nested: {
            Tensor: { fields: { elemType: one('int32', 1), shape: one('TensorShapeProto', 2) } },
            Sequence: { fields: { elemType: one('TypeProto', 1) } },
            Map: { fields: { keyType: one('int32', 1), valueType: one('TypeProto', 2) } },
            Optional: { fields: { elemType: one('TypeProto', 1) } },
            SparseTensor: { fields: { elemType: one('int32', 1), shape: one('TensorShapeProto', 2) } },
          },
        },
        OperatorSetIdProto: { fields: { domain: str(1), version: one('int64', 2) } },
        FunctionProto: {
          fields: {
            name: str(1),
            input: rep('string', 4),
            output: rep('string', 5),
            attribute: rep('string', 6),
            attributeProto: rep('AttributeProto', 11),
            node: rep('NodeProto', 7),
            docString: str(8),
            opsetImport: rep('OperatorSetIdProto', 9),
            domain: str(10),
            overload: str(13),
            valueInfo: rep('ValueInfoProto', 12),
            metadataProps: rep('StringStringEntryProto', 14),
          },
        },
      },
    },
  },
};
