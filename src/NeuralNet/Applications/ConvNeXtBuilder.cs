using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Applications;

/// <summary>
/// ConvNeXtTiny, Small, Base, Large and XLarge (Keras' <c>keras.applications.convnext</c>; Liu et al., 2022), built
/// layer for layer as Keras' <c>convnext.py</c> builds them: the <c>_prestem_normalization</c> (unless excluded), the
/// stem (4x4/4 convolution + layer normalization), four stages of ConvNeXt blocks separated by downsampling blocks
/// (layer normalization + 2x2/2 convolution), and the head (<c>_head_gap</c>, <c>_head_layernorm</c>, <c>_head_dense</c>).
/// </summary>
/// <remarks>
/// A block (Keras' <c>ConvNeXtBlock</c>) is a 7x7 'same' convolution grouped per channel (Keras' <c>Conv2D(groups=dim)</c>,
/// with bias), layer normalization (epsilon 1e-6), a Dense of 4 x dim, GELU, a Dense of dim, <see cref="LayerScale"/>
/// (1e-6), an identity <c>Activation("linear")</c> (Keras' builders pass drop_path_rate 0, so no
/// <see cref="StochasticDepth"/>), and the residual <c>inputs + x</c>, an <see cref="Add"/> named as Keras names the
/// operation (<c>add</c>, <c>add_1</c>, ...). Keras wraps the stem and each downsampling block in a nested
/// <c>Sequential</c> (<c>convnext_tiny_stem</c>, <c>convnext_tiny_downsampling_block_0</c>, ...); here their two layers
/// are the model's own, in the same order, as NeuralNet inlines a nested model's layers.
/// </remarks>
internal sealed class ConvNeXtBuilder
{
    private const float Epsilon = 1e-6f;
    private const float LayerScaleInit = 1e-6f;
    private int _adds;

    /// <summary>
    /// Keras' <c>MODEL_CONFIGS</c> of <c>convnext.py</c>: each variant's blocks per stage (<c>depths</c>) and channels per
    /// stage (<c>projection_dims</c>), keyed by Keras' variant name.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, (int[] Depths, int[] Dims)> Configs = new Dictionary<string, (int[], int[])>
    {
        ["tiny"] = ([3, 3, 9, 3], [96, 192, 384, 768]),
        ["small"] = ([3, 3, 27, 3], [96, 192, 384, 768]),
        ["base"] = ([3, 3, 27, 3], [128, 256, 512, 1024]),
        ["large"] = ([3, 3, 27, 3], [192, 384, 768, 1536]),
        ["xlarge"] = ([3, 3, 27, 3], [256, 512, 1024, 2048]),
    };

    /// <summary>Builds the variant <paramref name="variant"/> of <see cref="Configs"/>, named <c>convnext_&lt;variant&gt;</c> by default.</summary>
    internal static Functional Build(ApplicationOptions? options, bool includePreprocessing, string variant, string display)
    {
        var (depths, dims) = Configs[variant];
        return new ConvNeXtBuilder().Create(options, includePreprocessing, "convnext_" + variant, display, depths, dims);
    }

    private Functional Create(ApplicationOptions? options, bool includePreprocessing, string modelName, string display, int[] depths, int[] dims)
    {
        options ??= new ApplicationOptions();
        TensorShape shape = ApplicationChecks.Check(options, display);
        string name = options.Name ?? modelName;
        var image = new Input(shape);
        SymbolicTensor x = image;
        if (includePreprocessing && shape[2] == 3)
        {
            // Keras' PreStem: the ImageNet mean and variance of pixels in [0, 255], computed in double as Python does.
            float[] mean = [(float)(0.485 * 255), (float)(0.456 * 255), (float)(0.406 * 255)];
            float[] variance = [(float)Math.Pow(0.229 * 255, 2), (float)Math.Pow(0.224 * 255, 2), (float)Math.Pow(0.225 * 255, 2)];
            x = new Normalization(mean: mean, variance: variance, name: name + "_prestem_normalization").Call(x);
        }

        x = new Conv2D(dims[0], 4, strides: 4, name: name + "_stem_conv").Call(x);
        x = new LayerNormalization(epsilon: Epsilon, name: name + "_stem_layernorm").Call(x);
        for (int stage = 0; stage < 4; stage++)
        {
            if (stage > 0)
            {
                x = new LayerNormalization(epsilon: Epsilon, name: $"{name}_downsampling_layernorm_{stage - 1}").Call(x);
                x = new Conv2D(dims[stage], 2, strides: 2, name: $"{name}_downsampling_conv_{stage - 1}").Call(x);
            }

            for (int j = 0; j < depths[stage]; j++)
            {
                x = Block(x, dims[stage], $"{name}_stage_{stage}_block_{j}");
            }
        }

        if (options.IncludeTop)
        {
            x = new GlobalAveragePooling2D(name + "_head_gap").Call(x);
            x = new LayerNormalization(epsilon: Epsilon, name: name + "_head_layernorm").Call(x);
            x = new Dense(options.Classes, options.ClassifierActivation, name: name + "_head_dense").Call(x);
        }
        else
        {
            // Keras normalizes the features without top whatever the pooling, with an unnamed layer (layer_normalization).
            x = ApplicationChecks.Pool(x, options.Pooling, null, null);
            x = new LayerNormalization(epsilon: Epsilon).Call(x);
        }

        return new Functional(image, x, name, options.Seed);
    }

    /// <summary>Keras' <c>ConvNeXtBlock</c> with drop_path_rate 0 and layer_scale_init_value 1e-6.</summary>
    private SymbolicTensor Block(SymbolicTensor inputs, int dim, string name)
    {
        SymbolicTensor x = new Conv2D(dim, 7, padding: Padding.Same, groups: dim, name: name + "_depthwise_conv").Call(inputs);
        x = new LayerNormalization(epsilon: Epsilon, name: name + "_layernorm").Call(x);
        x = new Dense(4 * dim, name: name + "_pointwise_conv_1").Call(x);
        x = new Activation(ActivationFunction.Gelu, name: name + "_gelu").Call(x);
        x = new Dense(dim, name: name + "_pointwise_conv_2").Call(x);
        x = new LayerScale(LayerScaleInit, dim, name: name + "_layer_scale").Call(x);
        x = new Activation(ActivationFunction.Linear, name: name + "_identity").Call(x);
        return new Add(ApplicationChecks.Numbered("add", ref _adds)).Call(inputs, x);
    }
}
