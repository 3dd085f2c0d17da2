"""Label file formats: VOC palette PNGs and datasets, COCO JSON, labelme JSON."""
