using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Applications;

/// <summary>
/// VGG16 and VGG19 (Keras' <c>keras.applications.vgg16</c> / <c>vgg19</c>; Simonyan and Zisserman, 2014), built layer
/// for layer as Keras builds them: five blocks of 3x3 'same' convolutions with ReLU (<c>block1_conv1</c>, ...) each
/// closed by a 2x2 max pooling (<c>block1_pool</c>, ...), and the classifier <c>flatten</c>, <c>fc1</c> and <c>fc2</c>
/// (4096 units, ReLU) and <c>predictions</c>.
/// </summary>
/// <example>
/// <code>
/// Functional model = KerasApplications.Vgg16();                                        // 138,357,544 parameters
/// KerasFormat.LoadWeights(model, "vgg16_weights_tf_dim_ordering_tf_kernels.h5");      // NeuralNet.Keras
/// Tensor probabilities = model.Predict(ImageNetPreprocessing.Caffe(images));
/// </code>
/// </example>
/// <remarks>
/// With its classifier the model's <c>fc1</c> takes the flattened last block, so its size follows the input size
/// (7 x 7 x 512 at 224 x 224); ImageNet weights fit any side from 224 to 255 then (Keras asks for 224).
/// </remarks>
internal static class VggBuilder
{
    /// <summary>Builds VGG16 (Keras' <c>keras.applications.VGG16</c>): 2, 2, 3, 3 and 3 convolutions per block.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (classifier of 1000 classes on 224 x 224 x 3 images).</param>
    /// <returns>A new model named <c>vgg16</c> (or <see cref="ApplicationOptions.Name"/>), randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="ApplicationOptions"/>); the message names it.</exception>
    internal static Functional Vgg16(ApplicationOptions? options = null) => Build(options, "vgg16", "VGG16", [2, 2, 3, 3, 3]);

    /// <summary>Builds VGG19 (Keras' <c>keras.applications.VGG19</c>): 2, 2, 4, 4 and 4 convolutions per block.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <returns>A new model named <c>vgg19</c> (or <see cref="ApplicationOptions.Name"/>), randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    internal static Functional Vgg19(ApplicationOptions? options = null) => Build(options, "vgg19", "VGG19", [2, 2, 4, 4, 4]);


    private static Functional Build(ApplicationOptions? options, string modelName, string display, int[] convolutions)
    {
        options ??= new ApplicationOptions();
        TensorShape shape = ApplicationChecks.Check(options, display);
        var image = new Input(shape);

        int[] filters = [64, 128, 256, 512, 512];
        SymbolicTensor x = image;
        for (int block = 1; block <= 5; block++)
        {
            for (int i = 1; i <= convolutions[block - 1]; i++)
            {
                x = new Conv2D(filters[block - 1], 3, padding: Padding.Same, activation: ActivationFunction.Relu, name: $"block{block}_conv{i}").Call(x);
            }

            x = new MaxPooling2D(2, strides: 2, name: $"block{block}_pool").Call(x);
        }

        if (options.IncludeTop)
        {
            x = new Flatten("flatten").Call(x);
            x = new Dense(4096, ActivationFunction.Relu, name: "fc1").Call(x);
            x = new Dense(4096, ActivationFunction.Relu, name: "fc2").Call(x);
            x = new Dense(options.Classes, options.ClassifierActivation, name: "predictions").Call(x);
        }
        else
        {
            // Keras leaves these two unnamed (global_average_pooling2d / global_max_pooling2d); they hold no weights.
            x = ApplicationChecks.Pool(x, options.Pooling, null, null);
        }

        return new Functional(image, x, options.Name ?? modelName, options.Seed);
    }
}
