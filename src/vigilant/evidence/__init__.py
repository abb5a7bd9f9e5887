"""Evidence sources: folders, raw and E01 images, partitions, file systems, archives -> file entries."""
