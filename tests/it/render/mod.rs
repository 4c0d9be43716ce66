//! Drawing (`src/render`): cards and posters scan back exactly (rqrr, rxing, zbar), Khmer shaping,
//! the images in docs/.

mod card;
mod docs_images;
mod khmer;
mod poster;
mod rxing;
mod status;
mod zbar;
