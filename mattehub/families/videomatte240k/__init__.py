"""VideoMatte240K (Lin et al., CVPR 2021): its clips with their alpha, plain or composited."""
