using System.Globalization;
using System.Text.RegularExpressions;

namespace NeuralNet.Layers;

/// <summary>
/// An <see cref="EinsumDense"/> equation resolved for one input shape, as Keras' <c>_analyze_einsum_string</c> does:
/// the labels of the input (batch first), kernel and output with any ellipsis replaced by fresh letters, and the kernel,
/// bias and output shapes.
/// </summary>
internal sealed partial class EinsumEquation
{
    private EinsumEquation(string input, string kernel, string output, int[] kernelShape, int[]? biasShape, int[] outputSampleShape)
    {
        InputLabels = input;
        KernelLabels = kernel;
        OutputLabels = output;
        KernelShape = kernelShape;
        BiasShape = biasShape;
        OutputSampleShape = outputSampleShape;
    }

    /// <summary>One letter per input axis, the batch axis first.</summary>
    public string InputLabels { get; }

    /// <summary>One letter per kernel axis.</summary>
    public string KernelLabels { get; }

    /// <summary>One letter per output axis, the batch axis first.</summary>
    public string OutputLabels { get; }

    /// <summary>The kernel's shape.</summary>
    public int[] KernelShape { get; }

    /// <summary>The bias's shape (Keras': from the first biased output axis on, 1 on unbiased axes), or null without a bias.</summary>
    public int[]? BiasShape { get; }

    /// <summary>The output's shape without the batch axis.</summary>
    public int[] OutputSampleShape { get; }

    /// <summary>The equation written with letters only (for ONNX' Einsum).</summary>
    public string Explicit => $"{InputLabels},{KernelLabels}->{OutputLabels}";

    /// <summary>Checks the equation's form alone (what a constructor can check before any input shape is known).</summary>
    /// <exception cref="ArgumentException">The equation has none of Keras' three forms, repeats a label or has a label that cannot be computed.</exception>
    public static void CheckForm(string equation, string? biasAxes)
    {
        (string input, string kernel, string output, _) = Split(equation);
        foreach ((string spec, string role) in new[] { (input, "input"), (kernel, "kernel"), (output, "output") })
        {
            if (spec.Distinct().Count() != spec.Length)
            {
                throw new ArgumentException($"EinsumDense equation '{equation}' repeats a label in its {role} part '{spec}'; each axis needs its own letter.", nameof(equation));
            }
        }

        foreach (char label in output)
        {
            if (!input.Contains(label, StringComparison.Ordinal) && !kernel.Contains(label, StringComparison.Ordinal))
            {
                throw new ArgumentException($"EinsumDense equation '{equation}': dimension '{label}' was specified in the output '{output}' but has no corresponding dim in the input spec '{input}' or weight spec '{kernel}'.", nameof(equation));
            }
        }

        foreach (char label in kernel)
        {
            if (!input.Contains(label, StringComparison.Ordinal) && !output.Contains(label, StringComparison.Ordinal))
            {
                throw new ArgumentException($"EinsumDense equation '{equation}': weight dimension '{label}' did not have a match in either the input spec '{input}' or the output spec '{output}'. For this layer, the weight must be fully specified.", nameof(equation));
            }
        }

        if (biasAxes is not null)
        {
            if (biasAxes.Length == 0)
            {
                throw new ArgumentException($"EinsumDense bias_axes is empty; give the output letters to add a bias on (from '{output}'), or null for no bias.", nameof(biasAxes));
            }

            foreach (char label in biasAxes)
            {
                if (!output.Contains(label, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"EinsumDense bias dimension '{label}' was requested, but is not part of the output spec '{output}' of equation '{equation}'.", nameof(biasAxes));
                }
            }
        }
    }

    /// <summary>Resolves the equation for inputs of <paramref name="inputSample"/> (without the batch axis).</summary>
    /// <param name="equation">Keras' equation: <c>ab,bc-&gt;ac</c>, <c>...b,bc-&gt;...c</c> or <c>ab...,bc-&gt;ac...</c>.</param>
    /// <param name="biasAxes">The output letters the bias spans, or null.</param>
    /// <param name="inputSample">The input's shape without the batch axis.</param>
    /// <param name="partialOutput">Keras' <c>output_shape</c>: the output axes without the batch and elided ones, null where inferred.</param>
    /// <param name="layer">The layer's description, for messages.</param>
    /// <exception cref="ArgumentException">The shapes do not fit the equation; the message names both.</exception>
    public static EinsumEquation Resolve(string equation, string? biasAxes, TensorShape inputSample, IReadOnlyList<int?> partialOutput, string layer)
    {
        CheckForm(equation, biasAxes);
        (string inputSpec, string kernelSpec, string outputSpec, Ellipsis ellipsis) = Split(equation);
        int rank = inputSample.Rank + 1;
        int elided = rank - inputSpec.Length;
        if (elided < 0 || (ellipsis == Ellipsis.None && elided != 0))
        {
            throw new ArgumentException($"{layer}: equation '{equation}' describes {inputSpec.Length} input axes (the batch axis included) but the input {inputSample.ToBatchString()} has {rank}.", nameof(inputSample));
        }

        // Keras' full output shape: the batch axis, the elided axes where the ellipsis stands, the given axes.
        var fullOutput = new List<int?>(partialOutput);
        int givenCount = fullOutput.Count;
        fullOutput.Insert(0, -1);
        if (ellipsis == Ellipsis.Left)
        {
            for (int i = 1; i < elided; i++)
            {
                fullOutput.Insert(i, inputSample[i - 1]);
            }
        }
        else if (ellipsis == Ellipsis.Right)
        {
            for (int i = rank - elided; i < rank; i++)
            {
                fullOutput.Add(inputSample[i - 1]);
            }
        }

        // Fresh letters for the elided axes: the unused ones in sorted order (Keras' set; it prepends them one at a time for
        // the left form, so its order there is reversed, which changes the letters of ExplicitEquation, not the computation).
        string fresh = new([.. Letters.Except(inputSpec + kernelSpec + outputSpec).Take(elided)]);
        string input = ellipsis == Ellipsis.Right ? inputSpec + fresh : fresh + inputSpec;
        string output = ellipsis switch
        {
            Ellipsis.Left => fresh + outputSpec,
            Ellipsis.Right => outputSpec + fresh,
            _ => outputSpec,
        };
        if (fullOutput.Count != output.Length)
        {
            int elidedAfterBatch = ellipsis switch
            {
                Ellipsis.Left => Math.Max(0, elided - 1),
                Ellipsis.Right => elided,
                _ => 0,
            };
            int wanted = output.Length - 1 - elidedAfterBatch;
            throw new ArgumentException($"{layer}: output_shape has {givenCount} entries but equation '{equation}' on input {inputSample.ToBatchString()} needs {wanted} (its output axes without the batch axis{(elided > 0 ? " and the elided ones" : string.Empty)}).", nameof(partialOutput));
        }

        char batch = input[0];
        if (output[0] != batch || kernelSpec.Contains(batch, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{layer}: in equation '{equation}' the batch axis '{batch}' (the input's first) must be the output's first axis and must not be a kernel axis.", nameof(equation));
        }

        int InputDim(char label) => inputSample[input.IndexOf(label, StringComparison.Ordinal) - 1];
        var outputDims = new int[output.Length];
        for (int i = 1; i < output.Length; i++)
        {
            char label = output[i];
            int? given = fullOutput[i];
            if (input.Contains(label, StringComparison.Ordinal))
            {
                int dim = InputDim(label);
                if (given is int g && g != dim)
                {
                    throw new ArgumentException($"{layer}: input shape and output shape do not match at shared dimension '{label}'. Input shape is {dim}, and output shape is {g} (input {inputSample.ToBatchString()}, equation '{equation}').", nameof(partialOutput));
                }

                outputDims[i] = dim;
            }
            else
            {
                outputDims[i] = given is int g && g > 0
                    ? g
                    : throw new ArgumentException($"{layer}: output axis '{label}' of equation '{equation}' is a kernel axis, so output_shape must give its size (a positive integer), not {(given is null ? "None" : given.Value.ToString(CultureInfo.InvariantCulture))}.", nameof(partialOutput));
            }
        }

        var kernelShape = new int[kernelSpec.Length];
        for (int i = 0; i < kernelSpec.Length; i++)
        {
            char label = kernelSpec[i];
            kernelShape[i] = input.Contains(label, StringComparison.Ordinal) ? InputDim(label) : outputDims[output.IndexOf(label, StringComparison.Ordinal)];
        }

        return new EinsumEquation(input, kernelSpec, output, kernelShape, BiasShapeOf(equation, biasAxes, output, outputDims, fullOutput, batch, layer), outputDims[1..]);
    }

    // Keras: the bias spans the output from its first biased axis on, size 1 on the unbiased ones; the right-elided axes
    // add trailing 1s. Broadcasting it against the output is then numpy's, aligned on the last axis.
    private static int[]? BiasShapeOf(string equation, string? biasAxes, string output, int[] outputDims, List<int?> given, char batch, string layer)
    {
        if (biasAxes is null)
        {
            return null;
        }

        if (biasAxes.Contains(batch, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{layer}: bias_axes '{biasAxes}' includes the batch axis '{batch}' of equation '{equation}'; a bias cannot depend on the batch size.", nameof(biasAxes));
        }

        int first = output.Length;
        foreach (char label in biasAxes)
        {
            int axis = output.IndexOf(label, StringComparison.Ordinal);
            first = Math.Min(first, axis);

            // Keras sizes the bias from output_shape alone, so a biased axis given as None cannot be built there even
            // when the input knows its size; refusing it keeps every saved file loadable by Keras.
            if (given[axis] is null)
            {
                throw new ArgumentException($"{layer}: bias axis '{label}' of equation '{equation}' is None in output_shape; Keras sizes the bias from output_shape, so give that axis' size ({outputDims[axis].ToString(CultureInfo.InvariantCulture)}).", nameof(biasAxes));
            }
        }

        var shape = new int[output.Length - first];
        for (int i = first; i < output.Length; i++)
        {
            shape[i - first] = biasAxes.Contains(output[i], StringComparison.Ordinal) ? outputDims[i] : 1;
        }

        return shape;
    }

    private static string Letters => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static (string Input, string Kernel, string Output, Ellipsis Ellipsis) Split(string equation)
    {
        ArgumentNullException.ThrowIfNull(equation);
        if (PlainForm().Match(equation) is { Success: true } plain)
        {
            return (plain.Groups[1].Value, plain.Groups[2].Value, plain.Groups[3].Value, Ellipsis.None);
        }

        if (LeftForm().Match(equation) is { Success: true } left)
        {
            return (left.Groups[1].Value, left.Groups[2].Value, left.Groups[3].Value, Ellipsis.Left);
        }

        if (RightForm().Match(equation) is { Success: true } right)
        {
            return (right.Groups[1].Value, right.Groups[2].Value, right.Groups[3].Value, Ellipsis.Right);
        }

        throw new ArgumentException($"Invalid einsum equation '{equation}'. Equations must be in the form [X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....", nameof(equation));
    }

    [GeneratedRegex(@"^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$")]
    private static partial Regex PlainForm();

    [GeneratedRegex(@"^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$")]
    private static partial Regex LeftForm();

    [GeneratedRegex(@"^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$")]
    private static partial Regex RightForm();

    private enum Ellipsis
    {
        None,
        Left,
        Right,
    }
}
