/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - wic_bundle_view(): the flat form of a provisioning
 * snapshot in shared memory, parsed by every process.
 *
 * Input: a flat block, viewed as it is.
 *
 * Invariants: a view never reaches outside the block (ASan); every file of
 * an accepted view has a NUL-terminated name and data inside the block;
 * flattening an accepted view again gives the same bytes.
 */
#include "fuzz_common.h"
#include "wic_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wic_bundle_t v;
	/* an exact-size copy: a read past the end is an ASan finding */
	uint8_t *block = malloc(size ? size : 1);

	if(block == NULL)
		return 0;
	memcpy(block, data, size);
	if(wic_bundle_view(block, size, &v) == 0) {
		for(size_t i = 0; i < v.n; i++) {
			FZ_CHECK((uint8_t *)v.files[i].name >= block
					 && (uint8_t *)v.files[i].name < block + size);
			FZ_CHECK(v.files[i].data + v.files[i].len <= block + size);
		}
		size_t again = wic_bundle_flat_size(&v);
		FZ_CHECK(again <= size);
		uint8_t *out = malloc(again);
		if(out != NULL) {
			wic_bundle_flatten(&v, out, again);
			FZ_CHECK(memcmp(out, block, again) == 0);
			free(out);
		}
		wic_bundle_clear(&v);
	}
	free(block);
	return 0;
}
