"""The occlusion rule and compositing primitives, on hand-made arrays."""
import numpy as np

from mattehub.synthesis.layers import LayerStack, Patch, content_box, quantize, visible_fraction


def square(size: int, value: float = 1.0) -> Patch:
    alpha = np.full((size, size), round(value * 255), np.uint8)
    return Patch(np.full((size, size, 3), 200, np.uint8), alpha)


def test_content_box_and_empty():
    alpha = np.zeros((10, 12), np.uint8)
    alpha[2:5, 3:9] = 7
    assert content_box(alpha) == (3, 2, 9, 5)
    assert content_box(np.zeros((4, 4), np.uint8)) is None


def test_later_instance_occludes_earlier_and_union_is_sum():
    stack = LayerStack(20, 20, min_visible=0.0)
    assert stack.try_place(square(10, 0.8), 0, 0)
    assert stack.try_place(square(10, 0.5), 5, 5)
    first, second = stack.layers
    a, b = 204 / 255, 128 / 255  # 0.8 and 0.5 as stored 8-bit values
    assert np.isclose(first.alpha[0, 0], a)                  # not covered
    assert np.isclose(first.alpha[7, 7], a * (1 - b))        # covered by the second instance
    assert np.isclose(second.alpha[2, 2], b)                 # the later one is never occluded
    canvas_first = np.zeros((20, 20), np.float32)
    canvas_first[:10, :10] = first.alpha
    canvas_second = np.zeros((20, 20), np.float32)
    canvas_second[5:15, 5:15] = second.alpha
    assert np.allclose(stack.union_alpha(), canvas_first + canvas_second, atol=1e-6)
    stored = first.on_canvas(20, 20)
    assert stored.shape == (20, 20) and stored[7, 7] == round(255 * a * (1 - b))
    assert stored[15, 15] == 0


def test_placement_refused_when_earlier_keeps_too_little():
    stack = LayerStack(20, 20, min_visible=0.7)
    assert stack.try_place(square(10), 0, 0)
    # covering half of the first instance with an opaque one leaves it 50 % visible: refused
    assert not stack.try_place(square(10), 5, 0)
    assert len(stack.layers) == 1 and np.all(stack.layers[0].alpha == 1.0)
    # covering 2 columns of 10 leaves 80 %: accepted
    assert stack.try_place(square(10), 8, 0)


def test_composite_blends_in_order():
    stack = LayerStack(4, 4, min_visible=0.0)
    patch = Patch(np.full((2, 2, 3), 100, np.uint8), np.full((2, 2), 51, np.uint8))  # alpha 0.2
    stack.try_place(patch, 1, 1)
    image = stack.composite(np.full((4, 4, 3), 200, np.uint8))
    assert np.all(image[1:3, 1:3] == 180) and image[0, 0, 0] == 200 and image[3, 3, 0] == 200


def test_visible_fraction_from_stored_mattes():
    own = np.array([[255, 255], [0, 0]], np.uint8)
    occluded = np.array([[255, 0], [0, 0]], np.uint8)
    assert visible_fraction(occluded, own) == 0.5
    assert visible_fraction(occluded, np.zeros_like(own)) == 1.0
    assert quantize(np.array([[0.5, 1.2, 0.0, 0.502]], np.float32)).tolist() == [[128, 255, 0, 128]]


def test_interpolation_by_scale():
    import cv2

    from mattehub.synthesis.layers import interpolation

    assert interpolation(0.3) == cv2.INTER_AREA        # bilinear would skip source pixels
    assert interpolation(0.7) == cv2.INTER_LINEAR
    assert interpolation(1.5) == cv2.INTER_CUBIC
