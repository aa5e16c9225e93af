using Xunit;

namespace NeuralNet.Data.Tests;

public class ImageResizeTests
{
    private static float[] Resize(byte[] source, int height, int width, int outHeight, int outWidth, ImageInterpolation interpolation)
    {
        float[] result = new float[outHeight * outWidth];
        ImageResize.Resize(source, width, 1, 0, 0, height, width, result, outHeight, outWidth, interpolation);
        return result;
    }

    [Fact]
    public void Resize_BilinearUpTwice_TensorFlowHalfPixelValues()
    {
        // tf.image.resize([[0, 100], [200, 40]], (4, 4)): source positions -0.25, 0.25, 0.75, 1.25 clamped to the edges.
        float[] result = Resize([0, 100, 200, 40], 2, 2, 4, 4, ImageInterpolation.Bilinear);
        Assert.Equal(
            [0f, 25f, 75f, 100f,
             50f, 58.75f, 76.25f, 85f,
             150f, 126.25f, 78.75f, 55f,
             200f, 160f, 80f, 40f],
            result);
    }

    [Fact]
    public void Resize_BilinearDownTwice_AveragesPixelPairs()
    {
        float[] result = Resize([10, 20, 30, 40], 1, 4, 1, 2, ImageInterpolation.Bilinear);
        Assert.Equal([15f, 35f], result);
    }

    [Fact]
    public void Resize_SameSize_Identity()
    {
        byte[] source = [1, 2, 3, 4, 5, 6];
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], Resize(source, 2, 3, 2, 3, ImageInterpolation.Bilinear));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], Resize(source, 2, 3, 2, 3, ImageInterpolation.Nearest));
    }

    [Fact]
    public void Resize_NearestUpTwice_RepeatsEachPixel()
    {
        float[] result = Resize([1, 2, 3, 4], 2, 2, 4, 4, ImageInterpolation.Nearest);
        Assert.Equal([1f, 1f, 2f, 2f, 1f, 1f, 2f, 2f, 3f, 3f, 4f, 4f, 3f, 3f, 4f, 4f], result);
    }

    [Theory]
    [InlineData(2, 4, 2, 2, 0, 1, 2, 2)]
    [InlineData(4, 2, 2, 2, 1, 0, 2, 2)]
    [InlineData(10, 10, 3, 5, 2, 0, 6, 10)]
    [InlineData(5, 5, 5, 5, 0, 0, 5, 5)]
    public void CropWindow_OtherAspectRatio_LargestCentredWindowAsKerasSmartResize(int height, int width, int targetHeight, int targetWidth, int top, int left, int cropHeight, int cropWidth)
    {
        Assert.Equal((top, left, cropHeight, cropWidth), ImageResize.CropWindow(height, width, targetHeight, targetWidth));
    }
}
