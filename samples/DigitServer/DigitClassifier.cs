using System.Globalization;
using NeuralNet.Models;

namespace NeuralNet.Samples.DigitServer;

/// <summary>
/// The one loaded model, shared by every request. Concurrent calls of <see cref="Model.Predict(ModelData, int, CancellationToken)"/>
/// run side by side, each on layers of its own that share the model's weights.
/// </summary>
internal sealed class DigitClassifier
{
    private readonly Model _model;
    private readonly int[] _inputDimensions;

    /// <summary>Wraps <paramref name="model"/> after checking it takes 784 values and gives 10.</summary>
    /// <param name="model">A model with one input of 784 values (any shape: (784) or (28, 28, 1)) and one output of 10.</param>
    /// <param name="source">Where the model came from, for the messages.</param>
    /// <exception cref="ArgumentException">The model has another input or output size, or several inputs or outputs.</exception>
    public DigitClassifier(Model model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        TensorShape input;
        TensorShape output;
        try
        {
            input = model.InputShape;
            output = model.OutputShape;
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"DigitServer serves models with one input and one output; {source}: {e.Message}", nameof(model), e);
        }

        if (input.ElementCount != PixelRequest.PixelCount || output.ElementCount != 10)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"DigitServer serves models that take {PixelRequest.PixelCount} pixels (28 x 28) and give 10 probabilities; {source} takes {input.ToBatchString()} and gives {output.ToBatchString()}."),
                nameof(model));
        }

        _model = model;
        _inputDimensions = [1, .. input.Dimensions];
        Source = source;
    }

    /// <summary>Where the model came from (a file path, or a note that it was trained at start-up).</summary>
    public string Source { get; }

    /// <summary>Runs the model on one image.</summary>
    /// <param name="pixels">784 values in [0, 1], row by row; not kept.</param>
    /// <returns>The most probable digit and the 10 probabilities.</returns>
    public Prediction Predict(float[] pixels)
    {
        Tensor x = Tensor.FromArray(pixels, _inputDimensions);
        float[] probabilities = _model.Predict(x).ToArray();
        int digit = 0;
        for (int i = 1; i < probabilities.Length; i++)
        {
            if (probabilities[i] > probabilities[digit])
            {
                digit = i;
            }
        }

        return new Prediction(digit, probabilities);
    }
}
