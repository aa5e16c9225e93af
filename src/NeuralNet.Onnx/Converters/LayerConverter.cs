using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Writes one call of a layer as ONNX nodes: reads the call's <paramref name="inputs"/>, adds nodes and initializers to
/// <paramref name="graph"/> (whose scope is the layer's name), and returns the value holding the call's output, whose
/// per-sample shape is <paramref name="outputShape"/>.
/// </summary>
internal delegate OnnxValue LayerConverter(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape);

/// <summary>The converter of every layer type NeuralNet has, by exact type: a subclass or a user's layer has none.</summary>
internal static class LayerConverters
{
    private static readonly Dictionary<Type, LayerConverter> Converters = new()
    {
        [typeof(Dense)] = DenseConverter.Convert,
        [typeof(EinsumDense)] = EinsumDenseConverter.Convert,
        [typeof(Conv2D)] = Conv2DConverter.Convert,
        [typeof(MaxPooling2D)] = PoolingConverter.Convert,
        [typeof(AveragePooling2D)] = PoolingConverter.Convert,
        [typeof(GlobalAveragePooling2D)] = PoolingConverter.ConvertGlobalAverage,
        [typeof(BatchNormalization)] = BatchNormalizationConverter.Convert,
        [typeof(Activation)] = (graph, layer, inputs, _) => ActivationConverter.Apply(graph, ((Activation)layer).Function, inputs[0], layer),
        [typeof(ReLU)] = ActivationLayerConverters.ReLU,
        [typeof(LeakyReLU)] = ActivationLayerConverters.LeakyReLU,
        [typeof(ELU)] = ActivationLayerConverters.ELU,
        [typeof(Softmax)] = ActivationLayerConverters.Softmax,
        [typeof(Dropout)] = PassThrough,
        [typeof(Identity)] = PassThrough,
        [typeof(SpatialDropout1D)] = PassThrough,
        [typeof(SpatialDropout2D)] = PassThrough,
        [typeof(SpatialDropout3D)] = PassThrough,
        [typeof(GaussianNoise)] = PassThrough,
        [typeof(GaussianDropout)] = PassThrough,
        [typeof(AlphaDropout)] = PassThrough,
        [typeof(RandomFlip)] = PassThrough,
        [typeof(RandomRotation)] = PassThrough,
        [typeof(RandomZoom)] = PassThrough,
        [typeof(RandomTranslation)] = PassThrough,
        [typeof(RandomContrast)] = PassThrough,
        [typeof(RandomBrightness)] = PassThrough,
        [typeof(RandomGrayscale)] = PassThrough,
        [typeof(RandomSaturation)] = PassThrough,
        [typeof(RandomHue)] = PassThrough,
        [typeof(RandomColorDegeneration)] = PassThrough,
        [typeof(RandomInvert)] = PassThrough,
        [typeof(Solarization)] = PassThrough,
        [typeof(RandomPosterization)] = PassThrough,
        [typeof(RandomSharpness)] = PassThrough,
        [typeof(RandomErasing)] = PassThrough,
        [typeof(RandomGaussianBlur)] = PassThrough,
        [typeof(RandomColorJitter)] = PassThrough,
        [typeof(RandAugment)] = PassThrough,
        [typeof(AugMix)] = PassThrough,
        [typeof(MixUp)] = PassThrough,
        [typeof(CutMix)] = PassThrough,
        [typeof(RandomShear)] = PassThrough,
        [typeof(RandomPerspective)] = PassThrough,
        [typeof(Equalization)] = PassThrough,
        [typeof(AutoContrast)] = AutoContrastConverter.Convert,
        [typeof(StftSpectrogram)] = StftSpectrogramConverter.Convert,
        [typeof(MelSpectrogram)] = MelSpectrogramConverter.Convert,
        [typeof(Flatten)] = ShapeConverters.Flatten,
        [typeof(Reshape)] = ShapeConverters.Reshape,
        [typeof(Permute)] = ShapeConverters.Permute,
        [typeof(RepeatVector)] = ShapeConverters.RepeatVector,
        [typeof(Add)] = MergeConverters.Add,
        [typeof(Subtract)] = MergeConverters.Subtract,
        [typeof(Multiply)] = MergeConverters.Multiply,
        [typeof(Average)] = MergeConverters.Average,
        [typeof(Maximum)] = MergeConverters.Maximum,
        [typeof(Minimum)] = MergeConverters.Minimum,
        [typeof(Concatenate)] = MergeConverters.Concatenate,
        [typeof(Dot)] = DotConverter.Convert,
        [typeof(Embedding)] = EmbeddingConverter.Convert,
        [typeof(SimpleRnn)] = RecurrentConverter.Convert,
        [typeof(Lstm)] = RecurrentConverter.Convert,
        [typeof(Gru)] = RecurrentConverter.Convert,
        [typeof(Bidirectional)] = BidirectionalConverter.Convert,
        [typeof(TimeDistributed)] = TimeDistributedConverter.Convert,
        [typeof(SpectralNormalization)] = SpectralNormalizationConverter.Convert,
        [typeof(Attention)] = ScoreAttentionConverter.Convert,
        [typeof(AdditiveAttention)] = ScoreAttentionConverter.Convert,
        [typeof(MultiHeadAttention)] = MultiHeadAttentionConverter.Convert,
        [typeof(GroupedQueryAttention)] = MultiHeadAttentionConverter.Convert,
        [typeof(Masking)] = MaskingConverter.Convert,
        [typeof(CategoryEncoding)] = CategoryConverters.CategoryEncoding,
        [typeof(Discretization)] = CategoryConverters.Discretization,
        [typeof(IntegerLookup)] = IntegerLookupConverter.Convert,
        [typeof(Conv1D)] = SequenceConverters.Conv1D,
        [typeof(MaxPooling1D)] = SequenceConverters.Pooling1D,
        [typeof(AveragePooling1D)] = SequenceConverters.Pooling1D,
        [typeof(GlobalMaxPooling1D)] = SequenceConverters.GlobalPooling,
        [typeof(GlobalAveragePooling1D)] = SequenceConverters.GlobalPooling,
        [typeof(GlobalMaxPooling2D)] = SequenceConverters.GlobalPooling,
        [typeof(Rescaling)] = RescalingConverter.Convert,
        [typeof(Resizing)] = ResizeConverters.Resizing,
        [typeof(CenterCrop)] = ResizeConverters.CenterCrop,
        [typeof(RandomCrop)] = ResizeConverters.RandomCrop,
        [typeof(UpSampling2D)] = ResizeConverters.UpSampling2D,
        [typeof(ZeroPadding2D)] = BorderConverters.ZeroPadding2D,
        [typeof(Cropping2D)] = BorderConverters.Cropping2D,
        [typeof(ZeroPadding1D)] = SequenceBorderConverters.ZeroPadding1D,
        [typeof(Cropping1D)] = SequenceBorderConverters.Cropping1D,
        [typeof(UpSampling1D)] = SequenceBorderConverters.UpSampling1D,
        [typeof(ActivityRegularization)] = PassThrough,
        [typeof(LayerNormalization)] = NormalizationConverters.LayerNormalization,
        [typeof(UnitNormalization)] = NormalizationConverters.UnitNormalization,
        [typeof(GroupNormalization)] = NormalizationConverters.GroupNormalization,
        [typeof(Normalization)] = NormalizationConverters.Normalization,
        [typeof(RMSNormalization)] = NormalizationConverters.RMSNormalization,
        [typeof(PReLU)] = ActivationLayerConverters.PReLU,
        [typeof(DepthwiseConv2D)] = DepthwiseConverters.DepthwiseConv2D,
        [typeof(SeparableConv2D)] = DepthwiseConverters.SeparableConv2D,
        [typeof(Conv2DTranspose)] = Conv2DTransposeConverter.Convert,
        [typeof(DepthwiseConv1D)] = Conv1DFamilyConverters.DepthwiseConv1D,
        [typeof(SeparableConv1D)] = Conv1DFamilyConverters.SeparableConv1D,
        [typeof(Conv1DTranspose)] = Conv1DFamilyConverters.Conv1DTranspose,
        [typeof(Conv3D)] = VolumeConverters.Conv3D,
        [typeof(Conv3DTranspose)] = VolumeConverters.Conv3DTranspose,
        [typeof(MaxPooling3D)] = VolumeConverters.Pooling3D,
        [typeof(AveragePooling3D)] = VolumeConverters.Pooling3D,
        [typeof(GlobalMaxPooling3D)] = SequenceConverters.GlobalPooling,
        [typeof(GlobalAveragePooling3D)] = PoolingConverter.ConvertGlobalAverage,
        [typeof(AdaptiveAveragePooling1D)] = AdaptivePoolingConverter.Convert,
        [typeof(AdaptiveAveragePooling2D)] = AdaptivePoolingConverter.Convert,
        [typeof(AdaptiveAveragePooling3D)] = AdaptivePoolingConverter.Convert,
        [typeof(AdaptiveMaxPooling1D)] = AdaptivePoolingConverter.Convert,
        [typeof(AdaptiveMaxPooling2D)] = AdaptivePoolingConverter.Convert,
        [typeof(AdaptiveMaxPooling3D)] = AdaptivePoolingConverter.Convert,
        [typeof(UpSampling3D)] = VolumeBorderConverters.UpSampling3D,
        [typeof(ZeroPadding3D)] = VolumeBorderConverters.ZeroPadding3D,
        [typeof(Cropping3D)] = VolumeBorderConverters.Cropping3D,
    };

    /// <summary>The names of the layer types that have an ONNX form, sorted.</summary>
    public static IReadOnlyList<string> SupportedTypeNames { get; } = [.. Converters.Keys.Select(t => t.Name).Order(StringComparer.Ordinal)];

    /// <summary>The converter for <paramref name="layer"/>, or null when its type has no ONNX form.</summary>
    public static LayerConverter? Find(Layer layer) => Converters.GetValueOrDefault(layer.GetType());

    // Dropout, the noise layers and the augmentation layers that draw a transform per image (flip, rotation, zoom,
    // translation, shear, perspective, contrast, brightness, ...) return their input itself outside training, and so
    // does Equalization (Keras equalizes only in training), and Identity always: the exported graph is the inference
    // graph, so the output is the input value itself.
    private static OnnxValue PassThrough(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) => inputs[0];
}
