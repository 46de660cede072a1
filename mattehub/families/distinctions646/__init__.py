"""Distinctions-646 (HAttMatting, CVPR 2020): foregrounds + alphas composited the DIM way."""
