"""Video human-instance matting: V-HIM2K5 / V-HIM60-style clips (v-him)."""
