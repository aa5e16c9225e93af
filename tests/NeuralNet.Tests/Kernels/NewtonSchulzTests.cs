using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class NewtonSchulzTests
{
    private const string Seed = "(9137,23)";

    [Property(Replay = Seed, MaxTest = 60)]
    public void Orthogonalize_RandomShapes_EqualsFloat64Reference(long seed)
    {
        var random = new SeededRandom(seed);
        int rows = random.NextInt(40) + 1, columns = random.NextInt(40) + 1, steps = random.NextInt(7);
        float[] g = ConvTestCases.RandomArray(random, rows * columns);
        float[] destination = new float[rows * columns], scratch = new float[NewtonSchulz.ScratchLength(rows, columns) + 3];

        NewtonSchulz.Orthogonalize(g, rows, columns, steps, 3.4445f, -4.7750f, 2.0315f, destination, scratch);
        double[] expected = NewtonSchulz.OrthogonalizeReference(g, rows, columns, steps, 3.4445f, -4.7750f, 2.0315f);

        ConvTestCases.AssertClose([.. expected.Select(x => (float)x)], destination, 2e-4f);
    }

    [Fact]
    public void Orthogonalize_MatchesKerasTestValues()
    {
        // keras/src/optimizers/muon_test.py, test_Newton_Schulz (rtol = atol = 1e-3), 5 steps with Keras' coefficients.
        float[] destination = new float[4], scratch = new float[NewtonSchulz.ScratchLength(2, 2)];
        NewtonSchulz.Orthogonalize([0.2499f, 0.9105f, 0.2655f, 0.8824f], 2, 2, 5, 3.4445f, -4.7750f, 2.0315f, destination, scratch);
        float[] expected = [-0.4422f, 0.6457f, 0.7285f, 0.2968f];
        for (int i = 0; i < 4; i++)
        {
            Assert.True(Math.Abs(destination[i] - expected[i]) <= 1e-3 + (1e-3 * Math.Abs(expected[i])), $"element {i}: {destination[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Orthogonalize_TallMatrix_IsTheTransposeOfItsWideTwin()
    {
        var random = new SeededRandom(5);
        float[] wide = ConvTestCases.RandomArray(random, 3 * 7), tall = new float[7 * 3];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 7; j++)
            {
                tall[(j * 3) + i] = wide[(i * 7) + j];
            }
        }

        float[] wideOut = new float[21], tallOut = new float[21], scratch = new float[NewtonSchulz.ScratchLength(3, 7)];
        NewtonSchulz.Orthogonalize(wide, 3, 7, 5, 3.4445f, -4.7750f, 2.0315f, wideOut, scratch);
        NewtonSchulz.Orthogonalize(tall, 7, 3, 5, 3.4445f, -4.7750f, 2.0315f, tallOut, scratch);
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 7; j++)
            {
                Assert.Equal(wideOut[(i * 7) + j], tallOut[(j * 3) + i]);
            }
        }
    }

    [Fact]
    public void Orthogonalize_BadArguments_AreRefusedNamingThem()
    {
        float[] g = new float[6], destination = new float[6];
        Assert.Contains("(2, 4)", Assert.Throws<ArgumentException>(() => NewtonSchulz.Orthogonalize(g, 2, 4, 1, 1, 1, 1, destination, new float[100])).Message, StringComparison.Ordinal);
        Assert.Equal("scratch", Assert.Throws<ArgumentException>(() => NewtonSchulz.Orthogonalize(g, 2, 3, 1, 1, 1, 1, destination, new float[10])).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => NewtonSchulz.Orthogonalize(g, 2, 3, 1, 1, 1, 1, new float[5], new float[100])).ParamName);
    }
}
