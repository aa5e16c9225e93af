using System.Globalization;
using NeuralNet.Models;

namespace NeuralNet.Samples.DigitServer;

/// <summary>
/// The one loaded model, shared by every request. Concurrent calls of <see cref="Model.Predict(ModelData, int, IEnumerable{NeuralNet.Training.Callback}?, int, System.IO.TextWriter?, CancellationToken)"/>
/// run side by side, each on layers of its own that share the model's weights.
/// </summary>
internal sealed class DigitClassifier
{
    private readonly Model _model;
    private readonly int[] _inputDimensions;

    /// <summary>
    /// Wraps <paramref name="model"/> after checking it takes 784 values and gives 10 probabilities: its last layer ends
    /// in a softmax, and one prediction (a blank image and a full one) gives finite values in [0, 1] that sum to 1.
    /// </summary>
    /// <param name="model">A model with one input of 784 values (any shape: (784) or (28, 28, 1)) and one output of 10,
    /// ending in a softmax.</param>
    /// <param name="source">Where the model came from, for the messages.</param>
    /// <exception cref="ArgumentException">The model has another input or output size, several inputs or outputs, or does
    /// not end in a softmax.</exception>
    /// <exception cref="InvalidDataException">The probe prediction is not a probability distribution (NaN weights, say).</exception>
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

        // The answer is the output itself, as probabilities: the model must end in a softmax over its 10 values.
        if (!model.Outputs[0].Layer.EndsWithSoftmax || output.Dimensions[^1] != 10)
        {
            throw new ArgumentException(
                $"DigitServer serves models that end in a softmax over the 10 digits (it answers with the output as probabilities); {source} ends in {model.Outputs[0].Layer}, which is not a softmax over its last axis of 10.",
                nameof(model));
        }

        _model = model;
        _inputDimensions = [1, .. input.Dimensions];
        Source = source;
        Probe();
    }

    /// <summary>Where the model came from (a file path, or a note that it was trained at start-up).</summary>
    public string Source { get; }

    // One prediction at start-up, on a blank image and a full one: a model whose weights hold NaN or infinity (or overflow)
    // is refused here, rather than answering every request with an error.
    private void Probe()
    {
        var images = new Tensor([2, .. _inputDimensions[1..]]);
        images.AsSpan()[PixelRequest.PixelCount..].Fill(1f);
        float[] outputs = _model.Predict(images).ToArray();
        for (int i = 0; i < 2; i++)
        {
            ReadOnlySpan<float> p = outputs.AsSpan(i * 10, 10);
            string image = i == 0 ? "a blank image" : "an image all ink";
            int bad = FirstNotAProbability(p);
            if (bad >= 0)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"DigitServer serves models that give 10 probabilities; {Source} gives {p[bad]} for digit {bad} of {image}{(float.IsFinite(p[bad]) ? string.Empty : " (are its weights finite?)")}."));
            }

            float sum = 0;
            foreach (float v in p)
            {
                sum += v;
            }

            if (Math.Abs(sum - 1) > 1e-3f)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"DigitServer serves models that give 10 probabilities; {Source} gives 10 values that sum to {sum}, not 1, for {image}."));
            }
        }
    }

    private static int FirstNotAProbability(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!(values[i] is >= 0 and <= 1))
            {
                return i;
            }
        }

        return -1;
    }

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
