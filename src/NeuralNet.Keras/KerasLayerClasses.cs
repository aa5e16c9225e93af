using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Keras;

/// <summary>
/// Which of NeuralNet's built-in layers a <c>.keras</c> file can hold, and how: as the Keras 3 class of the same name in
/// <c>keras.layers</c> (<c>keras/src/layers/__init__.py</c>), with Keras' config keys and weight layout; as a Keras
/// operation (<see cref="KerasOperationForms"/>); or as ConvNeXt's unexported <c>LayerScale</c> / <c>StochasticDepth</c>.
/// Every other built-in layer is refused by <see cref="Refuse"/>: written under <c>keras.layers</c>, it would name a class
/// Keras does not have (or read with another layout), and Keras' <c>load_model</c> would fail on the file.
/// </summary>
/// <remarks>
/// An explicit list rather than a rule, so that a new layer is refused until someone checks it against Keras' class and
/// adds it here (KerasLayerClassesTests fails on a registered built-in layer that is in no list and not refused).
/// A user's layer (another assembly) is not a built-in: it is written under its registered name for the user's Keras code.
/// </remarks>
internal static class KerasLayerClasses
{
    /// <summary>Built-in layers written as the <c>keras.layers</c> class their registered name names.</summary>
    public static readonly IReadOnlySet<Type> KerasLayers = new HashSet<Type>
    {
        typeof(InputLayer), typeof(Dense), typeof(EinsumDense), typeof(Dropout), typeof(Flatten), typeof(Activation),
        typeof(Conv2D), typeof(MaxPooling2D), typeof(AveragePooling2D), typeof(GlobalAveragePooling2D), typeof(BatchNormalization),
        typeof(Add), typeof(Subtract), typeof(Multiply), typeof(Average), typeof(Maximum), typeof(Minimum), typeof(Concatenate), typeof(Dot),
        typeof(Reshape), typeof(Permute), typeof(RepeatVector), typeof(Identity), typeof(Lambda),
        typeof(Embedding), typeof(ReversibleEmbedding), typeof(Masking),
        typeof(Bidirectional), typeof(TimeDistributed), typeof(Pipeline), typeof(SpectralNormalization),
        typeof(SimpleRnn), typeof(Lstm), typeof(Gru), typeof(Rnn), typeof(ConvLstm1D), typeof(ConvLstm2D), typeof(ConvLstm3D),
        typeof(Conv1D), typeof(MaxPooling1D), typeof(AveragePooling1D), typeof(GlobalMaxPooling1D), typeof(GlobalAveragePooling1D), typeof(GlobalMaxPooling2D),
        typeof(MultiHeadAttention), typeof(GroupedQueryAttention), typeof(Attention), typeof(AdditiveAttention),
        typeof(SpatialDropout1D), typeof(SpatialDropout2D), typeof(SpatialDropout3D), typeof(GaussianNoise), typeof(GaussianDropout), typeof(AlphaDropout),
        typeof(Conv2DTranspose), typeof(DepthwiseConv2D), typeof(SeparableConv2D), typeof(DepthwiseConv1D), typeof(SeparableConv1D), typeof(Conv1DTranspose),
        typeof(UpSampling1D), typeof(UpSampling2D), typeof(UpSampling3D), typeof(ZeroPadding1D), typeof(ZeroPadding2D), typeof(ZeroPadding3D),
        typeof(Cropping1D), typeof(Cropping2D), typeof(Cropping3D),
        typeof(Conv3D), typeof(Conv3DTranspose), typeof(MaxPooling3D), typeof(AveragePooling3D), typeof(GlobalMaxPooling3D), typeof(GlobalAveragePooling3D),
        typeof(AdaptiveAveragePooling1D), typeof(AdaptiveAveragePooling2D), typeof(AdaptiveAveragePooling3D),
        typeof(AdaptiveMaxPooling1D), typeof(AdaptiveMaxPooling2D), typeof(AdaptiveMaxPooling3D),
        typeof(ActivityRegularization),
        typeof(RandomFlip), typeof(RandomRotation), typeof(RandomZoom), typeof(RandomTranslation), typeof(RandomCrop), typeof(RandomContrast),
        typeof(RandomBrightness), typeof(RandomGrayscale), typeof(RandomSaturation), typeof(RandomHue), typeof(RandomColorDegeneration),
        typeof(RandomInvert), typeof(Solarization), typeof(RandomPosterization), typeof(RandomSharpness), typeof(RandomErasing),
        typeof(RandomGaussianBlur), typeof(RandomColorJitter), typeof(RandAugment), typeof(AugMix), typeof(MixUp), typeof(CutMix),
        typeof(AutoContrast), typeof(RandomShear), typeof(RandomPerspective), typeof(RandomElasticTransform), typeof(Equalization),
        typeof(Resizing), typeof(CenterCrop),
        typeof(RMSNormalization), typeof(LayerNormalization), typeof(GroupNormalization), typeof(UnitNormalization),
        typeof(ReLU), typeof(LeakyReLU), typeof(PReLU), typeof(ELU), typeof(Layers.Softmax),
        typeof(Layers.Normalization), typeof(Rescaling), typeof(StftSpectrogram), typeof(MelSpectrogram),
        typeof(CategoryEncoding), typeof(Discretization), typeof(IntegerLookup), typeof(Hashing), typeof(HashedCrossing),
    };

    /// <summary>Built-in layers NeuralNet has for Keras operations, written as the operation (<see cref="KerasOperationForms.Of"/>).</summary>
    public static readonly IReadOnlySet<Type> Operations = new HashSet<Type>
    {
        typeof(ScalarArithmetic), typeof(ElementwiseMath), typeof(Clip), typeof(Divide), typeof(Where), typeof(Comparison),
        typeof(Split), typeof(Unstack), typeof(Reduce), typeof(Stack), typeof(MatMul), typeof(Layers.LogSoftmax), typeof(TakeAlongAxis),
    };

    /// <summary>Keras' ConvNeXt layers, defined in <c>keras.src.applications.convnext</c> and not exported in <c>keras.layers</c>.</summary>
    public static readonly IReadOnlySet<Type> ConvNeXtLayers = new HashSet<Type> { typeof(LayerScale), typeof(StochasticDepth) };

    /// <summary>Whether <paramref name="type"/> is one of NeuralNet's own layer types (not a user's).</summary>
    public static bool IsBuiltIn(Type type) => type.Assembly == typeof(Layer).Assembly;

    /// <summary>
    /// Throws when a layer of <paramref name="model"/> (a wrapped or nested one included) is a built-in layer Keras has
    /// no class for. <see cref="KerasFormat.SaveWeights"/> asks it as <see cref="KerasConfigWriter.Write"/> does: a
    /// <c>.weights.h5</c> file is read by <c>model.load_weights</c> into the same model built in Keras, which cannot hold
    /// that layer either.
    /// </summary>
    /// <param name="model">The model to save.</param>
    /// <param name="weightsOnly">Whether the file is a <c>.weights.h5</c> file (the message says so and names <c>Model.SaveWeights</c>).</param>
    /// <exception cref="NotSupportedException">See <see cref="Refuse(Layer, bool)"/>.</exception>
    public static void RefuseAll(Model model, bool weightsOnly)
    {
        foreach (Layer layer in KerasRnnCells.WithWrapped(model.Layers))
        {
            Refuse(layer, weightsOnly);
        }
    }

    /// <summary>Throws when <paramref name="layer"/> is a built-in layer that a <c>.keras</c> (or <c>.weights.h5</c>) file cannot hold.</summary>
    /// <param name="layer">The layer.</param>
    /// <param name="weightsOnly">Whether the file is a <c>.weights.h5</c> file.</param>
    /// <exception cref="NotSupportedException">The layer is in none of the lists: the message names it, its type, why, and what to use instead.</exception>
    public static void Refuse(Layer layer, bool weightsOnly = false)
    {
        Type type = layer.GetType();
        if (!IsBuiltIn(type) || KerasLayers.Contains(type) || Operations.Contains(type) || ConvNeXtLayers.Contains(type))
        {
            return;
        }

        string why = layer switch
        {
            // A Keras program calls tf.nn.depth_to_space in a Lambda (a TFOpLambda in tf.keras), whose Python code a .keras config cannot hold.
            DepthToSpace or SpaceToDepth => $"has no Keras layer (Keras code calls tf.nn.{(layer is DepthToSpace ? "depth_to_space" : "space_to_depth")} in a Lambda, which a .keras file cannot hold)",
            PositionEmbedding => "is KerasHub's keras_hub.layers.PositionEmbedding, not a layer of Keras' own (keras.layers has no such class)",
            // Keras' ops.take and ops.segment_* treat the batch axis as any other: its ids would index the whole batch.
            Take or SegmentSum or SegmentMax => $"gathers or segments each sample on its own (its indices carry the batch axis, as TensorFlow's gather with batch_dims=1), which Keras' ops.{KerasOperationName(layer)} does not: applied to the whole batch, its indices would reach across samples (keras.layers has no such class either)",
            _ => "has no Keras 3 layer that reads its config and weights (keras.layers has no such class)",
        };
        throw new NotSupportedException(weightsOnly
            ? $"Layer '{layer.Name}' ({layer.TypeName}) {why}, so no Keras model could take a .weights.h5 file written for it (Keras' load_weights reads the file into the same model built in Keras). Nothing was written; save the weights with Model.SaveWeights instead (NeuralNet's own format keeps every layer's)."
            : $"Layer '{layer.Name}' ({layer.TypeName}) {why}, so Keras could not load a .keras file holding it. Nothing was written; save the model with Model.Save instead (NeuralNet's own format keeps every layer).");
    }

    private static string KerasOperationName(Layer layer) => layer switch
    {
        Take => "take",
        SegmentSum => "segment_sum",
        _ => "segment_max",
    };
}
